using AutoCapture.Core.Security;
using AutoCapture.Functions.Options;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Endpoints;

/// <summary>
/// The read-only capture API's credential: <c>Authorization: Bearer</c> with one of <c>AutoCapture:Api:ReadTokens</c>,
/// compared in constant time. It opens listings and every capture; a signed link opens only its own capture.
/// </summary>
public sealed class ApiAuthorization(IOptions<AutoCaptureOptions> options)
{
    public enum Verdict
    {
        Valid,
        Missing,
        Wrong,
        Disabled,
    }

    public Verdict Check(HttpRequest request)
    {
        var tokens = options.Value.Api.ReadTokens;
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return tokens.Count == 0 ? Verdict.Disabled : Verdict.Missing;
        }

        var presented = header["Bearer ".Length..].Trim();
        // Compare with every token, so the time taken does not tell which one nearly matched.
        var valid = false;
        foreach (var token in tokens)
        {
            valid |= Secrets.FixedTimeEquals(token, presented);
        }

        return valid ? Verdict.Valid : tokens.Count == 0 ? Verdict.Disabled : Verdict.Wrong;
    }

    public static IResult Refusal(Verdict verdict, HttpResponse response)
    {
        if (verdict is Verdict.Missing or Verdict.Wrong)
        {
            response.Headers.WWWAuthenticate = "Bearer realm=\"autocapture\"";
        }

        return verdict switch
        {
            Verdict.Missing => RequestBodies.Error(401, "a read token is required (Authorization: Bearer …)"),
            Verdict.Wrong => RequestBodies.Error(401, "this read token is not valid"),
            _ => RequestBodies.Error(403, "the capture API is disabled: no AutoCapture:Api:ReadTokens are configured"),
        };
    }
}
