using AutoCapture.Core.Security;
using AutoCapture.Functions.Options;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Endpoints;

/// <summary>
/// The capture API's credential: <c>Authorization: Bearer</c> with one of <c>AutoCapture:Api:ReadTokens</c> (read) or
/// <c>AutoCapture:Api:WriteTokens</c> (read, and start captures on demand), compared in constant time. It opens
/// listings and every capture; a signed link opens only its own capture.
/// </summary>
public sealed class ApiAuthorization(IOptions<AutoCaptureOptions> options)
{
    public enum Access
    {
        Read,
        Write,
    }

    public enum Verdict
    {
        Valid,
        Missing,
        Wrong,
        Disabled,

        /// <summary>A valid read token presented where only a write token will do.</summary>
        ReadOnly,
    }

    public Verdict Check(HttpRequest request, Access access = Access.Read)
    {
        var api = options.Value.Api;
        if (access == Access.Write ? api.WriteTokens.Count == 0 : api.ReadTokens.Count + api.WriteTokens.Count == 0)
        {
            return Verdict.Disabled;
        }

        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Verdict.Missing;
        }

        var presented = header["Bearer ".Length..].Trim();

        // A write token reads too; for a read both lists are compared in full (| does not short-circuit).
        if (Matches(api.WriteTokens, presented) | (access == Access.Read && Matches(api.ReadTokens, presented)))
        {
            return Verdict.Valid;
        }

        return access == Access.Write && Matches(api.ReadTokens, presented) ? Verdict.ReadOnly : Verdict.Wrong;
    }

    // Compared with every token, so the time taken does not tell which one nearly matched.
    private static bool Matches(List<string> tokens, string presented)
    {
        var valid = false;
        foreach (var token in tokens)
        {
            valid |= Secrets.FixedTimeEquals(token, presented);
        }

        return valid;
    }

    public static IResult Refusal(Verdict verdict, HttpResponse response, Access access = Access.Read)
    {
        if (verdict is Verdict.Missing or Verdict.Wrong)
        {
            response.Headers.WWWAuthenticate = "Bearer realm=\"autocapture\"";
        }

        var kind = access == Access.Write ? "write" : "read";
        return verdict switch
        {
            Verdict.Missing => RequestBodies.Error(401, $"a {kind} token is required (Authorization: Bearer …)"),
            Verdict.Wrong => RequestBodies.Error(401, $"this {kind} token is not valid"),
            Verdict.ReadOnly => RequestBodies.Error(403, "a read token cannot start captures: use one of AutoCapture:Api:WriteTokens"),
            _ when access == Access.Write => RequestBodies.Error(403, "capture on demand is disabled: no AutoCapture:Api:WriteTokens are configured"),
            _ => RequestBodies.Error(403, "the capture API is disabled: no AutoCapture:Api:ReadTokens are configured"),
        };
    }
}
