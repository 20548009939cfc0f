using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using AutoCapture.Core.Hosting;
using AutoCapture.Core.Security;
using AutoCapture.Functions.Options;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Pipeline;

/// <summary>
/// Checks the source's credentials with whichever methods it has configured: bearer token, basic auth, Grafana's
/// HMAC signature, or a query-string secret. All comparisons take constant time; the log names the source and
/// the reason, never the secret.
/// </summary>
public sealed class AuthenticateStage(IOptions<AutoCaptureOptions> options, TimeProvider clock, RejectionLog rejections, ILogger<AuthenticateStage> logger) : IWebhookStage
{
    private static readonly TimeSpan MaxSignatureAge = TimeSpan.FromMinutes(5);

    // A signature covers the body (and timestamp), so a second request with the same one is a replay. Kept twice the
    // timestamp window; without a timestamp header that is all the protection there is (docs/security.md).
    private readonly NonceCache _signatures = new(clock, MaxSignatureAge * 2);

    public async Task ExecuteAsync(WebhookContext context, CancellationToken cancellationToken)
    {
        var auth = options.Value.Sources.For(context.Source)
            ?? throw new WebhookRejectedException(404, $"unknown alert source '{context.Source}' (known: {string.Join(", ", SourcesOptions.Names)})");
        if (!auth.Enabled)
        {
            throw new WebhookRejectedException(404, $"alert source '{context.Source}' is not enabled on this server");
        }

        if (!auth.HasCredentials)
        {
            return;
        }

        var reasons = new List<string>();
        if (!string.IsNullOrEmpty(auth.BearerToken) || !string.IsNullOrEmpty(auth.Username))
        {
            if (CheckAuthorizationHeader(auth, context.Header("Authorization")) is not { } reason)
            {
                return;
            }

            reasons.Add(reason);
        }

        if (!string.IsNullOrEmpty(auth.QuerySecret))
        {
            if (Secrets.FixedTimeEquals(auth.QuerySecret, context.Query(auth.QueryParameter)))
            {
                return;
            }

            reasons.Add($"query parameter '{auth.QueryParameter}' missing or wrong");
        }

        if (!string.IsNullOrEmpty(auth.HmacSecret))
        {
            var body = await context.BodyAsync(cancellationToken);
            if (CheckSignature(auth, context, body.Span) is not { } reason)
            {
                return;
            }

            reasons.Add(reason);
        }

        if (rejections.ShouldLog($"401 {context.Source}", out var folded))
        {
            logger.LogWarning("Rejected a {Source} webhook: {Reason} ({Folded} more rejected since the last such line)", context.Source, string.Join("; ", reasons), folded);
        }

        throw new WebhookRejectedException(401, "missing or wrong credentials");
    }

    private static string? CheckAuthorizationHeader(SourceAuthOptions auth, string? authorization)
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

        // Not the scheme itself: "Authorization: <secret>" puts the secret where the scheme goes.
        return "unsupported authorization scheme";
    }

    /// <summary>Grafana signs the body, or "timestamp:body" when told to send a timestamp header, as lowercase hex HMAC-SHA256.</summary>
    private string? CheckSignature(SourceAuthOptions auth, WebhookContext context, ReadOnlySpan<byte> body)
    {
        var signature = context.Header(auth.HmacHeader);
        if (string.IsNullOrEmpty(signature))
        {
            return $"no {auth.HmacHeader} header";
        }

        byte[] signed;
        if (auth.HmacTimestampHeader is { Length: > 0 } timestampHeader)
        {
            var timestamp = context.Header(timestampHeader);
            if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > 253402300799)
            {
                return $"no valid {timestampHeader} header";
            }

            var age = clock.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(seconds);
            if (age.Duration() > MaxSignatureAge)
            {
                return $"signature timestamp is {Math.Round(age.TotalSeconds)} s off (allowed ±{MaxSignatureAge.TotalSeconds} s)";
            }

            signed = [.. Encoding.UTF8.GetBytes(timestamp + ":"), .. body];
        }
        else
        {
            signed = body.ToArray();
        }

        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(auth.HmacSecret!), signed));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature.Trim().ToLowerInvariant())))
        {
            return "HMAC signature does not match";
        }

        // Remembered only once it holds, so forged requests cannot fill the memory.
        return _signatures.TryAdd($"{context.Source}:{expected}") ? null : "HMAC signature was already used (replayed request)";
    }
}
