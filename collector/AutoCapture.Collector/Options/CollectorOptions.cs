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

    /// <summary>During a key rotation: the key being retired, still accepted on capture requests.</summary>
    public string? PreviousKeyId { get; set; }

    public string? PreviousSigningKey { get; set; }

    /// <summary>When the previous key stops being accepted (the end of the rotation window); unset: until removed.</summary>
    public DateTimeOffset? PreviousKeyNotAfter { get; set; }

    /// <summary>A PEM certificate trusted for an https webhook app (completion callbacks), besides the system's.</summary>
    public string? TrustedCertificate { get; set; }

    /// <summary>
    /// The webhook app's base URL (its <c>PublicBaseUrl</c>); when set, completion and progress reports go only there.
    /// Unset: they go where the signed request says, but both to one base and only to the capture's own endpoints.
    /// </summary>
    public string? CallbackBaseUrl { get; set; }

    /// <summary>
    /// The names the webhook app reaches this collector by (host:port, or host for any port), which signed requests
    /// must name. Empty: this machine's host name, its names under it (FQDN), localhost and its interface addresses.
    /// Set it when the app calls collectors by another name (a load balancer, a Kubernetes service).
    /// </summary>
    public List<string> Audiences { get; set; } = [];

    public IReadOnlyList<SigningKey> AcceptedKeys() =>
        Core.Security.SigningKey.Accepted(KeyId, SigningKey!, PreviousKeyId, PreviousSigningKey, PreviousKeyNotAfter);

    /// <summary>Only these processes may be captured; a request for any other is refused in the result.</summary>
    public List<AllowedProcess> AllowedProcesses { get; set; } = [];

    /// <summary>Scratch space for traces before upload; each capture gets a folder that is deleted afterwards.</summary>
    public string WorkDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "autocapture-collector");

    /// <summary>The longest timed capture this host accepts, whatever a rule asks for.</summary>
    public TimeSpan MaxDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Timed traces (e.g. cpu) this host runs at once; each costs the traced process a little.</summary>
    public int MaxConcurrentTraces { get; set; } = 3;

    /// <summary>
    /// Go pprof servers this collector may fetch from (see <see cref="AllowedAddress"/>); with none, every capture
    /// by address is refused, so no request can make the collector fetch an arbitrary URL.
    /// </summary>
    public List<string> AllowedAddresses { get; set; } = [];

    /// <summary>
    /// How long a capture's uploads (artifacts, summary, result) keep being retried while the store cannot be
    /// reached; the artifacts wait in the work directory meanwhile. Zero: give up when the store client does.
    /// </summary>
    public TimeSpan StoreRetryWindow { get; set; } = TimeSpan.FromMinutes(2);

    public GoCaptureOptions Go { get; set; } = new();

    public DumpOptions Dumps { get; set; } = new();

    internal IReadOnlyList<AllowedAddress> ParsedAllowedAddresses() =>
        AllowedAddresses.Select(text => AllowedAddress.TryParse(text, out var entry, out _) ? entry : null).OfType<AllowedAddress>().ToList();

    public IEnumerable<KeyValuePair<string, string>> Describe()
    {
        yield return new("Key", $"id {KeyId}, secret {Secrets.Mask(SigningKey)}, previous {Secrets.Mask(PreviousSigningKey)}{(PreviousKeyNotAfter is { } end ? $" until {end:u}" : string.Empty)}");
        yield return new("AllowedProcesses", AllowedProcesses.Count == 0 ? "(none: every capture is refused)" : string.Join(", ", AllowedProcesses));
        yield return new("WorkDirectory", WorkDirectory);
        yield return new("MaxDuration", MaxDuration.ToString());
        yield return new("MaxConcurrentTraces", MaxConcurrentTraces.ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return new("StoreRetryWindow", StoreRetryWindow.ToString());
        yield return new("AllowedAddresses", AllowedAddresses.Count == 0 ? "(none: every capture by address is refused)" : string.Join(", ", AllowedAddresses));
        yield return new("Go", $"request timeout {Go.RequestTimeout}, max profile {Go.MaxProfileBytes} bytes, gops config directories {(Go.GopsConfigDirectories.Count == 0 ? "(default)" : string.Join(", ", Go.GopsConfigDirectories))}");
        yield return new("Dumps", $"max {Dumps.MaxBytes} bytes, keep {Dumps.MinFreeBytes} bytes free");
        yield return new("Audiences", Audiences.Count == 0 ? "(this machine's names and addresses)" : string.Join(", ", Audiences));
        yield return new("CallbackBaseUrl", CallbackBaseUrl ?? "(the base each signed request names)");
    }
}

/// <summary>Section <c>AutoCapture:Collector:Go</c>: how the collector talks to Go targets.</summary>
public sealed class GoCaptureOptions
{
    /// <summary>How long a pprof server or gops agent may take beyond the capture's own duration.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A profile, dump or trace larger than this is cut off and the capture failed.</summary>
    public long MaxProfileBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>
    /// Where gops agents write their port files (one file per pid). Empty: the target's own GOPS_CONFIG_DIR or
    /// $HOME/.config/gops, then the collector's.
    /// </summary>
    public List<string> GopsConfigDirectories { get; set; } = [];
}

/// <summary>Section <c>AutoCapture:Collector:Dumps</c>: limits for .NET process dumps.</summary>
public sealed class DumpOptions
{
    /// <summary>A dump expected (or found) to be larger than this is refused.</summary>
    public long MaxBytes { get; set; } = 8L * 1024 * 1024 * 1024;

    /// <summary>A dump is refused if writing it would leave less than this free in the work directory.</summary>
    public long MinFreeBytes { get; set; } = 1L * 1024 * 1024 * 1024;
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

        if (!string.IsNullOrEmpty(options.PreviousSigningKey)
            && (options.PreviousSigningKey.Length < SigningKey.MinimumSecretLength || (options.PreviousKeyId ?? "previous") == options.KeyId))
        {
            failures.Add($"AutoCapture:Collector:PreviousSigningKey must be at least {SigningKey.MinimumSecretLength} characters and PreviousKeyId must differ from KeyId.");
        }

        if (options.TrustedCertificate is { } certificate && !File.Exists(certificate))
        {
            failures.Add($"AutoCapture:Collector:TrustedCertificate: no file at {certificate}.");
        }

        if (options.CallbackBaseUrl is { } callbackBase && (!Uri.TryCreate(callbackBase, UriKind.Absolute, out var callbackUri) || callbackUri.Scheme is not ("http" or "https")))
        {
            failures.Add("AutoCapture:Collector:CallbackBaseUrl must be an absolute http(s) URL (the webhook app's PublicBaseUrl).");
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

        for (var i = 0; i < options.AllowedAddresses.Count; i++)
        {
            if (!AllowedAddress.TryParse(options.AllowedAddresses[i], out _, out var error))
            {
                failures.Add($"AutoCapture:Collector:AllowedAddresses:{i}: {error}.");
            }
        }

        if (options.Go.RequestTimeout < TimeSpan.FromSeconds(1) || options.Go.RequestTimeout > TimeSpan.FromMinutes(10))
        {
            failures.Add("AutoCapture:Collector:Go:RequestTimeout must be between 1 second and 10 minutes.");
        }

        if (options.Go.MaxProfileBytes < 1024 * 1024)
        {
            failures.Add("AutoCapture:Collector:Go:MaxProfileBytes must be at least 1 MiB.");
        }

        if (options.Dumps.MaxBytes < 1024 * 1024 || options.Dumps.MinFreeBytes < 0)
        {
            failures.Add("AutoCapture:Collector:Dumps:MaxBytes must be at least 1 MiB and Dumps:MinFreeBytes not negative.");
        }

        if (options.StoreRetryWindow < TimeSpan.Zero || options.StoreRetryWindow > TimeSpan.FromHours(1))
        {
            failures.Add("AutoCapture:Collector:StoreRetryWindow must be between 0 and 1 hour.");
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
