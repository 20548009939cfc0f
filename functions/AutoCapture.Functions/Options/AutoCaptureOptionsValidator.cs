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

        var source = options.Sources.Alertmanager;
        if (!source.HasCredentials && !source.AllowAnonymous)
        {
            failures.Add("AutoCapture:Sources:Alertmanager needs BearerToken or Username/Password (or AllowAnonymous=true on a closed network).");
        }

        if (!string.IsNullOrEmpty(source.Username) && string.IsNullOrEmpty(source.Password))
        {
            failures.Add("AutoCapture:Sources:Alertmanager:Password is required when Username is set.");
        }

        CheckKey(failures, "AutoCapture:Collector:SigningKey", options.Collector.SigningKey);
        CheckKey(failures, "AutoCapture:Links:SigningKey", options.Links.SigningKey);
        if (options.Collector.RequestTimeout <= TimeSpan.Zero || options.Collector.MaxAttempts is < 1 or > 10)
        {
            failures.Add("AutoCapture:Collector:RequestTimeout must be positive and MaxAttempts between 1 and 10.");
        }

        if (options.Links.Lifetime <= TimeSpan.Zero || options.Limits.Cooldown < TimeSpan.Zero)
        {
            failures.Add("AutoCapture:Links:Lifetime must be positive and AutoCapture:Limits:Cooldown not negative.");
        }

        if (options.PublicBaseUrl is { } url && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            failures.Add($"AutoCapture:PublicBaseUrl '{url}' is not an absolute http(s) URL.");
        }

        if (options.Chat.Default is not (ChatOptions.ConsoleChannel or ChatOptions.SlackChannel))
        {
            failures.Add($"AutoCapture:Chat:Default '{options.Chat.Default}' is not a channel (console or slack).");
        }

        if (options.Chat.Default == ChatOptions.SlackChannel && string.IsNullOrEmpty(options.Chat.Slack.WebhookUrl))
        {
            failures.Add("AutoCapture:Chat:Slack:WebhookUrl is required when slack is the default channel.");
        }

        if (options.Chat.Slack.WebhookUrl is { Length: > 0 } hook && !Uri.TryCreate(hook, UriKind.Absolute, out _))
        {
            failures.Add("AutoCapture:Chat:Slack:WebhookUrl is not an absolute URL.");
        }

        var housekeeping = options.Housekeeping;
        if (housekeeping.Interval < TimeSpan.FromSeconds(1) || housekeeping.PendingDeadline <= TimeSpan.Zero || housekeeping.MaxDispatchAttempts is < 1 or > 20 || housekeeping.LookbackDays is < 0 or > 31)
        {
            failures.Add("AutoCapture:Housekeeping needs Interval ≥ 1s, PendingDeadline > 0, MaxDispatchAttempts 1–20 and LookbackDays 0–31.");
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
