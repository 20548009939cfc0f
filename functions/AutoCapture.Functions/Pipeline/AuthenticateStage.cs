using System.Net.Http.Headers;
using System.Text;
using AutoCapture.Core.Security;
using AutoCapture.Functions.Options;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Pipeline;

/// <summary>Checks the source's credentials: a bearer token or a basic-auth pair, compared in constant time.</summary>
public sealed class AuthenticateStage(IOptions<AutoCaptureOptions> options, ILogger<AuthenticateStage> logger) : IWebhookStage
{
    public Task ExecuteAsync(WebhookContext context, CancellationToken cancellationToken)
    {
        var auth = context.Source switch
        {
            "alertmanager" => options.Value.Sources.Alertmanager,
            _ => throw new WebhookRejectedException(404, $"unknown alert source '{context.Source}'"),
        };
        if (auth.AllowAnonymous && !auth.HasCredentials)
        {
            return Task.CompletedTask;
        }

        var failure = Check(auth, context.Header("Authorization"));
        if (failure is not null)
        {
            logger.LogWarning("Rejected a {Source} webhook: {Reason}", context.Source, failure);
            throw new WebhookRejectedException(401, "missing or wrong credentials");
        }

        return Task.CompletedTask;
    }

    private static string? Check(SourceAuthOptions auth, string? authorization)
    {
        if (string.IsNullOrEmpty(authorization) || !AuthenticationHeaderValue.TryParse(authorization, out var header) || header.Parameter is null)
        {
            return "no Authorization header";
        }

        if (header.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            return !string.IsNullOrEmpty(auth.BearerToken) && Secrets.FixedTimeEquals(auth.BearerToken, header.Parameter)
                ? null
                : "bearer token does not match";
        }

        if (header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
            }
            catch (FormatException)
            {
                return "basic credentials are not base64";
            }

            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0 || string.IsNullOrEmpty(auth.Username))
            {
                return "basic credentials do not match";
            }

            // Evaluate both comparisons so timing does not tell which half was wrong.
            var userMatches = Secrets.FixedTimeEquals(auth.Username, decoded[..colon]);
            var passwordMatches = Secrets.FixedTimeEquals(auth.Password, decoded[(colon + 1)..]);
            return userMatches & passwordMatches ? null : "basic credentials do not match";
        }

        return $"unsupported authorization scheme '{header.Scheme}'";
    }
}
