using AutoCapture.Core.Security;
using Microsoft.Extensions.Options;

namespace AutoCapture.Collector.Options;

/// <summary>
/// The collector daemon's configuration, section <c>AutoCapture:Collector</c> (environment variables
/// <c>AutoCapture__Collector__…</c>). The key settings have the same names as the webhook app's, so one
/// secret set serves both.
/// </summary>
public sealed class CollectorOptions
{
    public const string Section = "AutoCapture:Collector";
    public const string DefaultUrl = "http://127.0.0.1:7080";

    public string KeyId { get; set; } = "default";

    /// <summary>The HMAC key shared with the webhook app (at least 16 characters).</summary>
    public string? SigningKey { get; set; }

    /// <summary>Only these processes may be captured; a request for any other is refused in the result.</summary>
    public List<AllowedProcess> AllowedProcesses { get; set; } = [];

    /// <summary>Scratch space for traces before upload; each capture gets a folder that is deleted afterwards.</summary>
    public string WorkDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "autocapture-collector");

    /// <summary>The longest timed capture this host accepts, whatever a rule asks for.</summary>
    public TimeSpan MaxDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Timed traces (e.g. cpu) this host runs at once; each costs the traced process a little.</summary>
    public int MaxConcurrentTraces { get; set; } = 3;

    public IEnumerable<KeyValuePair<string, string>> Describe()
    {
        yield return new("Key", $"id {KeyId}, secret {Secrets.Mask(SigningKey)}");
        yield return new("AllowedProcesses", AllowedProcesses.Count == 0 ? "(none: every capture is refused)" : string.Join(", ", AllowedProcesses));
        yield return new("WorkDirectory", WorkDirectory);
        yield return new("MaxDuration", MaxDuration.ToString());
        yield return new("MaxConcurrentTraces", MaxConcurrentTraces.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}

/// <summary>An allowlist entry: an exact process name, a command-line substring, or both (both must then hold).</summary>
public sealed class AllowedProcess
{
    public string? Name { get; set; }

    public string? CommandLine { get; set; }

    public bool Allows(string name, string? commandLine) =>
        (Name is null || string.Equals(Name, name, StringComparison.Ordinal))
        && (CommandLine is null || (commandLine?.Contains(CommandLine, StringComparison.Ordinal) ?? false));

    public override string ToString() => (Name, CommandLine) switch
    {
        ({ } n, { } c) => $"name={n} commandLine~{c}",
        ({ } n, null) => $"name={n}",
        (null, { } c) => $"commandLine~{c}",
        _ => "(empty)",
    };
}

public sealed class CollectorOptionsValidator : IValidateOptions<CollectorOptions>
{
    public ValidateOptionsResult Validate(string? name, CollectorOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrEmpty(options.SigningKey) || options.SigningKey.Length < SigningKey.MinimumSecretLength)
        {
            failures.Add($"AutoCapture:Collector:SigningKey is required and must be at least {SigningKey.MinimumSecretLength} characters.");
        }

        if (string.IsNullOrEmpty(options.KeyId))
        {
            failures.Add("AutoCapture:Collector:KeyId must not be empty.");
        }

        for (var i = 0; i < options.AllowedProcesses.Count; i++)
        {
            var entry = options.AllowedProcesses[i];
            if (string.IsNullOrEmpty(entry.Name) && string.IsNullOrEmpty(entry.CommandLine))
            {
                failures.Add($"AutoCapture:Collector:AllowedProcesses:{i} needs Name or CommandLine.");
            }
        }

        if (options.MaxDuration < TimeSpan.FromSeconds(1) || options.MaxDuration > TimeSpan.FromHours(1))
        {
            failures.Add("AutoCapture:Collector:MaxDuration must be between 1 second and 1 hour.");
        }

        if (options.MaxConcurrentTraces is < 1 or > 64)
        {
            failures.Add("AutoCapture:Collector:MaxConcurrentTraces must be between 1 and 64.");
        }

        if (string.IsNullOrWhiteSpace(options.WorkDirectory))
        {
            failures.Add("AutoCapture:Collector:WorkDirectory is required.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
