using AutoCapture.Core.Security;
using AutoCapture.Core.Storage;

namespace AutoCapture.Functions.Options;

/// <summary>
/// The webhook app's configuration: section <c>AutoCapture</c> of appsettings.json, or environment variables
/// such as <c>AutoCapture__Sources__Alertmanager__BearerToken</c>.
/// </summary>
public sealed class AutoCaptureOptions
{
    public const string Section = "AutoCapture";

    /// <summary>Path of the YAML rules file, relative to the working directory.</summary>
    public string RulesFile { get; set; } = "rules.yaml";

    /// <summary>How collectors and chat readers reach this app (for callbacks and links); defaults to the listening address.</summary>
    public string? PublicBaseUrl { get; set; }

    public StoreOptions Store { get; set; } = new();

    public SourcesOptions Sources { get; set; } = new();

    public CollectorClientOptions Collector { get; set; } = new();

    public LinkOptions Links { get; set; } = new();

    public LimitOptions Limits { get; set; } = new();

    public ChatOptions Chat { get; set; } = new();

    public HousekeepingOptions Housekeeping { get; set; } = new();

    public IEnumerable<KeyValuePair<string, string>> Describe()
    {
        yield return new("RulesFile", RulesFile);
        yield return new("PublicBaseUrl", PublicBaseUrl ?? "(listening address)");
        yield return new("Store", Store.Describe());
        yield return new("Sources.Alertmanager", Sources.Alertmanager.Describe());
        yield return new("Collector", $"key id {Collector.KeyId}, key {Secrets.Mask(Collector.SigningKey)}, timeout {Collector.RequestTimeout}, attempts {Collector.MaxAttempts}");
        yield return new("Links", $"key {Secrets.Mask(Links.SigningKey)}, lifetime {Links.Lifetime}");
        yield return new("Limits", $"cooldown {Limits.Cooldown}");
        yield return new("Chat", $"default {Chat.Default}, slack webhook {Secrets.Mask(Chat.Slack.WebhookUrl)}");
        yield return new("Housekeeping", $"every {Housekeeping.Interval}, pending deadline {Housekeeping.PendingDeadline}, {Housekeeping.MaxDispatchAttempts} dispatch attempts, {Housekeeping.LookbackDays} days back");
    }
}

public sealed class SourcesOptions
{
    public SourceAuthOptions Alertmanager { get; set; } = new();
}

/// <summary>
/// How a source authenticates, matching Alertmanager's <c>http_config</c>: a bearer token
/// (<c>authorization.credentials</c>) or a basic-auth pair. Either or both may be configured.
/// </summary>
public sealed class SourceAuthOptions
{
    public string? BearerToken { get; set; }

    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>Accept unauthenticated requests. Off unless set explicitly: only for a closed network.</summary>
    public bool AllowAnonymous { get; set; }

    public bool HasCredentials => !string.IsNullOrEmpty(BearerToken) || !string.IsNullOrEmpty(Username);

    public string Describe() =>
        AllowAnonymous && !HasCredentials ? "anonymous"
        : $"bearer {Secrets.Mask(BearerToken)}, basic {(string.IsNullOrEmpty(Username) ? "(not set)" : $"{Username}:{Secrets.Mask(Password)}")}";
}

public sealed class CollectorClientOptions
{
    public string KeyId { get; set; } = "default";

    /// <summary>The HMAC key shared with collectors (at least 16 characters).</summary>
    public string? SigningKey { get; set; }

    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public int MaxAttempts { get; set; } = 3;
}

public sealed class LinkOptions
{
    /// <summary>The HMAC key for expiring capture and artifact links (at least 16 characters).</summary>
    public string? SigningKey { get; set; }

    public TimeSpan Lifetime { get; set; } = TimeSpan.FromDays(7);
}

public sealed class LimitOptions
{
    /// <summary>After a capture of a kind on a target, the same kind on the same target waits this long.</summary>
    public TimeSpan Cooldown { get; set; } = TimeSpan.FromMinutes(10);
}

public sealed class ChatOptions
{
    public const string ConsoleChannel = "console";
    public const string SlackChannel = "slack";

    /// <summary>The channel for rules that name none: console or slack.</summary>
    public string Default { get; set; } = ConsoleChannel;

    public SlackOptions Slack { get; set; } = new();
}

public sealed class SlackOptions
{
    /// <summary>A Slack incoming-webhook URL (it is a secret: it is never logged).</summary>
    public string? WebhookUrl { get; set; }
}

public sealed class HousekeepingOptions
{
    /// <summary>How often housekeeping runs standalone (under Azure Functions the timer function's schedule decides).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A capture still pending this long after its last change is dispatched again.</summary>
    public TimeSpan PendingDeadline { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Dispatch attempts before a pending capture is failed and reported.</summary>
    public int MaxDispatchAttempts { get; set; } = 3;

    /// <summary>How many days of capture folders (by capture id date) are checked for stuck captures.</summary>
    public int LookbackDays { get; set; } = 2;
}
