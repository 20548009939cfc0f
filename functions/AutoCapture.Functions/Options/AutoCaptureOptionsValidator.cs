using AutoCapture.Core.Security;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Options;

/// <summary>Refuses to start with a configuration that would fail later, and says which setting to fix.</summary>
public sealed class AutoCaptureOptionsValidator : IValidateOptions<AutoCaptureOptions>
{
    public ValidateOptionsResult Validate(string? name, AutoCaptureOptions options)
    {
        var failures = new List<string>();
        failures.AddRange(options.Store.Validate());
        failures.AddRange(options.Rules.Validate());

        var sources = new[] { ("Alertmanager", options.Sources.Alertmanager), ("Grafana", options.Sources.Grafana), ("AzureMonitor", options.Sources.AzureMonitor) };
        if (!sources.Any(s => s.Item2.Enabled))
        {
            failures.Add("No alert source is enabled: give AutoCapture:Sources:Alertmanager, :Grafana or :AzureMonitor a BearerToken, Username/Password, HmacSecret or QuerySecret (or AllowAnonymous=true on a closed network).");
        }

        foreach (var (section, source) in sources)
        {
            if (!string.IsNullOrEmpty(source.Username) && string.IsNullOrEmpty(source.Password))
            {
                failures.Add($"AutoCapture:Sources:{section}:Password is required when Username is set.");
            }

            foreach (var (setting, secret) in new[] { ("BearerToken", source.BearerToken), ("Password", source.Password), ("HmacSecret", source.HmacSecret), ("QuerySecret", source.QuerySecret) })
            {
                if (!string.IsNullOrEmpty(secret) && secret.Length < SigningKey.MinimumSecretLength)
                {
                    failures.Add($"AutoCapture:Sources:{section}:{setting} must be at least {SigningKey.MinimumSecretLength} characters.");
                }
            }

            if (source.MaxRequestsPerSecond < 0 || source.Burst < 1)
            {
                failures.Add($"AutoCapture:Sources:{section}:MaxRequestsPerSecond must not be negative and Burst must be at least 1.");
            }

            if (string.IsNullOrWhiteSpace(source.HmacHeader) || string.IsNullOrWhiteSpace(source.QueryParameter))
            {
                failures.Add($"AutoCapture:Sources:{section}:HmacHeader and QueryParameter must not be empty.");
            }
        }

        CheckKey(failures, "AutoCapture:Collector:SigningKey", options.Collector.SigningKey);
        CheckKey(failures, "AutoCapture:Links:SigningKey", options.Links.SigningKey);
        if (!string.IsNullOrEmpty(options.Collector.PreviousSigningKey))
        {
            CheckKey(failures, "AutoCapture:Collector:PreviousSigningKey", options.Collector.PreviousSigningKey);
            if ((options.Collector.PreviousKeyId ?? "previous") == options.Collector.KeyId)
            {
                failures.Add("AutoCapture:Collector:PreviousKeyId must differ from KeyId: the id tells the keys apart.");
            }
        }

        for (var i = 0; i < options.Collector.AllowedCollectors.Count; i++)
        {
            if (!AllowedAddress.TryParse(options.Collector.AllowedCollectors[i], out _, out var error))
            {
                failures.Add($"AutoCapture:Collector:AllowedCollectors:{i}: {error}.");
            }
        }

        if (options.Collector.TrustedCertificate is { } certificate && !File.Exists(certificate))
        {
            failures.Add($"AutoCapture:Collector:TrustedCertificate: no file at {certificate}.");
        }
        if (options.Collector.RequestTimeout <= TimeSpan.Zero || options.Collector.MaxAttempts is < 1 or > 10)
        {
            failures.Add("AutoCapture:Collector:RequestTimeout must be positive and MaxAttempts between 1 and 10.");
        }

        if (options.Collector.BusyRetryWindow < TimeSpan.Zero)
        {
            failures.Add("AutoCapture:Collector:BusyRetryWindow must not be negative (0 fails a capture at the first busy answer).");
        }

        if (options.Links.Lifetime <= TimeSpan.Zero)
        {
            failures.Add("AutoCapture:Links:Lifetime must be positive.");
        }

        var limits = options.Limits;
        if (limits.Cooldown < TimeSpan.Zero)
        {
            failures.Add("AutoCapture:Limits:Cooldown must not be negative.");
        }

        if (limits.RuleBudget < 1 || limits.StormTargets < 1 || limits.MaxInFlight < 1)
        {
            failures.Add("AutoCapture:Limits:RuleBudget, StormTargets and MaxInFlight must be at least 1.");
        }

        if (limits.RuleBudgetWindow <= TimeSpan.Zero || limits.StormWindow <= TimeSpan.Zero || limits.MatchBudget <= TimeSpan.Zero)
        {
            failures.Add("AutoCapture:Limits:RuleBudgetWindow, StormWindow and MatchBudget must be positive.");
        }

        if (options.PublicBaseUrl is { } url && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            failures.Add($"AutoCapture:PublicBaseUrl '{url}' is not an absolute http(s) URL.");
        }

        failures.AddRange(ChatChannelsValidation.Check(options.Chat));
        foreach (var (token, index) in options.Api.ReadTokens.Select((t, i) => (t, i)))
        {
            if (string.IsNullOrEmpty(token) || token.Length < SigningKey.MinimumSecretLength)
            {
                failures.Add($"AutoCapture:Api:ReadTokens:{index} must be at least {SigningKey.MinimumSecretLength} characters.");
            }
        }

        foreach (var (token, index) in options.Api.WriteTokens.Select((t, i) => (t, i)))
        {
            if (string.IsNullOrEmpty(token) || token.Length < SigningKey.MinimumSecretLength)
            {
                failures.Add($"AutoCapture:Api:WriteTokens:{index} must be at least {SigningKey.MinimumSecretLength} characters.");
            }
            else if (options.Api.ReadTokens.Contains(token, StringComparer.Ordinal))
            {
                // Whoever holds only read access must not be able to start captures.
                failures.Add($"AutoCapture:Api:WriteTokens:{index} is also one of AutoCapture:Api:ReadTokens; a write token must be a token of its own.");
            }
        }

        if (options.Chat.Slack.SigningSecret is { } signingSecret && signingSecret.Length < SigningKey.MinimumSecretLength)
        {
            failures.Add($"AutoCapture:Chat:Slack:SigningSecret must be at least {SigningKey.MinimumSecretLength} characters (Slack's are 32).");
        }

        if (options.Api.DefaultSearchDays is < 1 or > 3660)
        {
            failures.Add("AutoCapture:Api:DefaultSearchDays must be between 1 and 3660.");
        }

        var housekeeping = options.Housekeeping;
        if (housekeeping.Interval < TimeSpan.FromSeconds(1) || housekeeping.PendingDeadline <= TimeSpan.Zero || housekeeping.MaxDispatchAttempts is < 1 or > 20)
        {
            failures.Add("AutoCapture:Housekeeping needs Interval ≥ 1s, PendingDeadline > 0 and MaxDispatchAttempts 1–20.");
        }

        if (housekeeping.CaptureGrace <= TimeSpan.Zero || housekeeping.VerifyMaxBytes < 0)
        {
            failures.Add("AutoCapture:Housekeeping:CaptureGrace must be positive and VerifyMaxBytes not negative.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckKey(List<string> failures, string setting, string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            failures.Add($"{setting} is required.");
        }
        else if (key.Length < SigningKey.MinimumSecretLength)
        {
            failures.Add($"{setting} must be at least {SigningKey.MinimumSecretLength} characters.");
        }
    }
}
