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

    /// <summary>Path of the YAML rules file, relative to the working directory (unless <see cref="Rules"/> names a blob).</summary>
    public string RulesFile { get; set; } = "rules.yaml";

    public RulesSourceOptions Rules { get; set; } = new();

    /// <summary>How collectors and chat readers reach this app (for callbacks and links); defaults to the listening address.</summary>
    public string? PublicBaseUrl { get; set; }

    public StoreOptions Store { get; set; } = new();

    public SourcesOptions Sources { get; set; } = new();

    public CollectorClientOptions Collector { get; set; } = new();

    public LinkOptions Links { get; set; } = new();

    public LimitOptions Limits { get; set; } = new();

    public ChatOptions Chat { get; set; } = new();

    public HousekeepingOptions Housekeeping { get; set; } = new();

    public ApiOptions Api { get; set; } = new();

    public IEnumerable<KeyValuePair<string, string>> Describe()
    {
        yield return new("RulesFile", Rules.IsBlob ? "(from Rules.BlobUri)" : RulesFile);
        yield return new("Rules", Rules.Describe());
        yield return new("PublicBaseUrl", PublicBaseUrl ?? "(listening address)");
        yield return new("Store", Store.Describe());
        yield return new("Sources.Alertmanager", Sources.Alertmanager.Describe());
        yield return new("Sources.Grafana", Sources.Grafana.Describe());
        yield return new("Sources.AzureMonitor", Sources.AzureMonitor.Describe());
        yield return new("Collector", $"key id {Collector.KeyId}, key {Secrets.Mask(Collector.SigningKey)}, previous key {Secrets.Mask(Collector.PreviousSigningKey)}{(Collector.PreviousKeyNotAfter is { } end ? $" until {end:u}" : string.Empty)}, timeout {Collector.RequestTimeout}, attempts {Collector.MaxAttempts}, busy retries for {Collector.BusyRetryWindow}, allowed collectors {(Collector.AllowedCollectors.Count == 0 ? "any" : string.Join(", ", Collector.AllowedCollectors))}{(Collector.TrustedCertificate is null ? string.Empty : $", trusting {Collector.TrustedCertificate}")}");
        yield return new("Links", $"key {Secrets.Mask(Links.SigningKey)}, lifetime {Links.Lifetime}");
        yield return new("Limits", Limits.Describe());
        yield return new("Chat", Chat.Describe());
        yield return new("Api", $"{Api.ReadTokens.Count} read tokens ({string.Join(", ", Api.ReadTokens.Select(t => Secrets.Mask(t)))}), {Api.WriteTokens.Count} write tokens ({string.Join(", ", Api.WriteTokens.Select(t => Secrets.Mask(t)))}), searches without filters look back {Api.DefaultSearchDays} days");
        yield return new("Housekeeping", $"every {Housekeeping.Interval}, pending deadline {Housekeeping.PendingDeadline}, {Housekeeping.MaxDispatchAttempts} dispatch attempts");
    }
}

public enum BlobCredential
{
    /// <summary>DefaultAzureCredential: environment, workload identity, managed identity, developer sign-ins.</summary>
    Default,

    /// <summary>The app's managed identity only (system-assigned, or the user-assigned one named by client id).</summary>
    ManagedIdentity,
}

/// <summary>
/// Where the rules come from when not from <see cref="AutoCaptureOptions.RulesFile"/>: a blob, read at start and
/// polled for a new ETag, so a rule change is an upload rather than a redeploy.
/// </summary>
public sealed class RulesSourceOptions
{
    /// <summary>The rules blob, e.g. <c>https://account.blob.core.windows.net/config/rules.yaml</c>. Empty: the rules file.</summary>
    public string? BlobUri { get; set; }

    /// <summary>Instead of Entra ID: the account's connection string (Azurite, or an account key); the container and blob come from <see cref="BlobUri"/>. Secret.</summary>
    public string? ConnectionString { get; set; }

    public BlobCredential Credential { get; set; } = BlobCredential.Default;

    /// <summary>A user-assigned managed identity's client id; empty for the system-assigned identity.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>How often the blob's ETag is checked for a new version.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    public bool IsBlob => !string.IsNullOrEmpty(BlobUri);

    public string Describe() => !IsBlob ? "file"
        : $"blob {BlobUri} via {(string.IsNullOrEmpty(ConnectionString) ? $"Entra ID ({Credential}{(string.IsNullOrEmpty(ManagedIdentityClientId) ? "" : $" client {ManagedIdentityClientId}")})" : $"connection string {Secrets.Mask(ConnectionString)}")}, checked every {PollInterval}";

    /// <summary>What is wrong with these settings, one message per problem naming the setting.</summary>
    public IEnumerable<string> Validate()
    {
        if (!IsBlob)
        {
            yield break;
        }

        if (!Uri.TryCreate(BlobUri, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath.Trim('/').Split('/').Length < 2)
        {
            yield return "AutoCapture:Rules:BlobUri must be an absolute http(s) URL of a blob (https://account.blob.core.windows.net/container/rules.yaml).";
        }
        else if (!string.IsNullOrEmpty(uri.Query))
        {
            // A SAS in the URL would be a secret in a setting shown in logs; credentials go in their own settings.
            yield return "AutoCapture:Rules:BlobUri must not carry a query string (no SAS): use Credential or ConnectionString.";
        }

        if (PollInterval < TimeSpan.FromSeconds(1))
        {
            yield return "AutoCapture:Rules:PollInterval must be at least one second.";
        }
    }
}

public sealed class SourcesOptions
{
    public SourceAuthOptions Alertmanager { get; set; } = new();

    public SourceAuthOptions Grafana { get; set; } = new();

    public SourceAuthOptions AzureMonitor { get; set; } = new();

    /// <summary>The options of a source by its route name (alertmanager, grafana, azuremonitor), or null if unknown.</summary>
    public SourceAuthOptions? For(string source) => source switch
    {
        "alertmanager" => Alertmanager,
        "grafana" => Grafana,
        "azuremonitor" => AzureMonitor,
        _ => null,
    };

    public static IReadOnlyList<string> Names { get; } = ["alertmanager", "grafana", "azuremonitor"];
}

/// <summary>
/// How a source authenticates. Any configured method that succeeds lets the request in: a bearer token or a
/// basic-auth pair (Alertmanager's and Grafana's <c>http_config</c>), Grafana's HMAC signature, or a secret in the
/// query string (Azure Monitor's plain webhooks cannot send headers). A source with none configured is disabled.
/// </summary>
public sealed class SourceAuthOptions
{
    public string? BearerToken { get; set; }

    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>Grafana's HMAC-SHA256 signature secret (contact point → HMAC Signature → Secret).</summary>
    public string? HmacSecret { get; set; }

    public string HmacHeader { get; set; } = "X-Grafana-Alerting-Signature";

    /// <summary>Set when Grafana is told to send a timestamp header; then it signs "timestamp:body" and stale requests are refused.</summary>
    public string? HmacTimestampHeader { get; set; }

    /// <summary>A secret expected in the query string, e.g. <c>?token=…</c> on an Azure Monitor action group's webhook URL.</summary>
    public string? QuerySecret { get; set; }

    public string QueryParameter { get; set; } = "token";

    /// <summary>Accept unauthenticated requests. Off unless set explicitly: only for a closed network.</summary>
    public bool AllowAnonymous { get; set; }

    /// <summary>
    /// Requests per second this source may make to one instance (token bucket, <see cref="Burst"/> deep); beyond
    /// it the answer is 429 with Retry-After, which Alertmanager and Grafana retry. Far above any real storm;
    /// it stops a runaway or hostile sender from starving the others. 0: unlimited.
    /// </summary>
    public int MaxRequestsPerSecond { get; set; } = 500;

    public int Burst { get; set; } = 1000;

    public bool HasCredentials =>
        !string.IsNullOrEmpty(BearerToken) || !string.IsNullOrEmpty(Username) || !string.IsNullOrEmpty(HmacSecret) || !string.IsNullOrEmpty(QuerySecret);

    public bool Enabled => HasCredentials || AllowAnonymous;

    public string Describe()
    {
        if (!Enabled)
        {
            return "disabled";
        }

        var methods = new List<string>();
        if (!string.IsNullOrEmpty(BearerToken))
        {
            methods.Add($"bearer {Secrets.Mask(BearerToken)}");
        }

        if (!string.IsNullOrEmpty(Username))
        {
            methods.Add($"basic {Secrets.Mask(Username)}:{Secrets.Mask(Password)}");
        }

        if (!string.IsNullOrEmpty(HmacSecret))
        {
            methods.Add($"hmac {Secrets.Mask(HmacSecret)} in {HmacHeader}{(HmacTimestampHeader is null ? string.Empty : $" with timestamp {HmacTimestampHeader}")}");
        }

        if (!string.IsNullOrEmpty(QuerySecret))
        {
            methods.Add($"query ?{QueryParameter}={Secrets.Mask(QuerySecret)}");
        }

        return methods.Count == 0 ? "anonymous" : string.Join(", ", methods);
    }
}

public sealed class CollectorClientOptions
{
    public string KeyId { get; set; } = "default";

    /// <summary>The HMAC key shared with collectors (at least 16 characters). Requests are signed with it.</summary>
    public string? SigningKey { get; set; }

    /// <summary>During a key rotation: the key being retired, still accepted on collector callbacks.</summary>
    public string? PreviousKeyId { get; set; }

    public string? PreviousSigningKey { get; set; }

    /// <summary>When the previous key stops being accepted (the end of the rotation window); unset: until removed.</summary>
    public DateTimeOffset? PreviousKeyNotAfter { get; set; }

    /// <summary>
    /// Collector addresses dispatch may call (host, IP or CIDR, optional port, as the collector's AllowedAddresses).
    /// Empty: any. Set it whenever rules template the collector address from alert labels.
    /// </summary>
    public List<string> AllowedCollectors { get; set; } = [];

    /// <summary>A PEM certificate (a private CA or the collector's own) trusted for https collectors, besides the system's.</summary>
    public string? TrustedCertificate { get; set; }

    public IReadOnlyList<Core.Security.SigningKey> AcceptedKeys() =>
        Core.Security.SigningKey.Accepted(KeyId, SigningKey!, PreviousKeyId, PreviousSigningKey, PreviousKeyNotAfter);

    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public int MaxAttempts { get; set; } = 3;

    /// <summary>
    /// How long after its creation a capture is asked for again while its collector answers busy (409). A scheduled
    /// baseline is asked for until its slot can no longer be taken instead.
    /// </summary>
    public TimeSpan BusyRetryWindow { get; set; } = TimeSpan.FromMinutes(5);
}

public sealed class LinkOptions
{
    /// <summary>The HMAC key for expiring capture and artifact links (at least 16 characters).</summary>
    public string? SigningKey { get; set; }

    public TimeSpan Lifetime { get; set; } = TimeSpan.FromDays(7);
}

/// <summary>Capture limits; every one is enforced in the store, so they hold across instances.</summary>
public sealed class LimitOptions
{
    /// <summary>After a capture of a kind on a target, the same kind on the same target waits this long.</summary>
    public TimeSpan Cooldown { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Captures a rule may start per <see cref="RuleBudgetWindow"/> (sliding), like dotnet-monitor's ActionCount.</summary>
    public int RuleBudget { get; set; } = 5;

    public TimeSpan RuleBudgetWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Distinct targets captured per alert group (per rule) within <see cref="StormWindow"/>; the rest are sampled out.</summary>
    public int StormTargets { get; set; } = 3;

    public TimeSpan StormWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Captures running at once across all instances; a slot is freed when its capture has ended and chat has heard of it.</summary>
    public int MaxInFlight { get; set; } = 20;

    /// <summary>
    /// Time all regular-expression matchers together may spend on one delivery's alerts; alerts past it are answered
    /// as skipped, so a pathological pattern or label cannot stall the webhook.
    /// </summary>
    public TimeSpan MatchBudget { get; set; } = TimeSpan.FromSeconds(1);

    public string Describe() =>
        $"cooldown {Cooldown}, rule budget {RuleBudget} per {RuleBudgetWindow}, storm {StormTargets} targets per group per {StormWindow}, in flight {MaxInFlight}, regex matching {MatchBudget} per delivery";
}

public sealed class ChatOptions
{
    public const string ConsoleChannel = "console";
    public const string SlackChannel = "slack";

    /// <summary>The channel for rules that name none: console, slack (the legacy webhook) or a name under Channels.</summary>
    public string Default { get; set; } = ConsoleChannel;

    /// <summary>The legacy single Slack incoming webhook; when set it is the channel named <c>slack</c>.</summary>
    public SlackOptions Slack { get; set; } = new();

    /// <summary>Named channels rules pick with <c>chat: NAME</c> (<c>AutoCapture:Chat:Channels:NAME:Type</c>, …).</summary>
    public Dictionary<string, ChatChannelOptions> Channels { get; set; } = new(StringComparer.Ordinal);

    /// <summary>At most one chat message per rule and limit (cooldown, budget, in-flight) for skips in this interval; storm-sampled skips are never posted.</summary>
    public TimeSpan SkipNoticeInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Attempts at a capture's final message (housekeeping re-sends one that failed) before giving up.</summary>
    public int MaxNotifyAttempts { get; set; } = 5;

    /// <summary>Every configured channel by name, the built-in console and the legacy slack webhook included.</summary>
    public IReadOnlyDictionary<string, ChatChannelOptions> AllChannels()
    {
        var all = new Dictionary<string, ChatChannelOptions>(StringComparer.Ordinal)
        {
            [ConsoleChannel] = new() { Type = ChatChannelTypes.Console },
        };
        if (!string.IsNullOrEmpty(Slack.WebhookUrl))
        {
            all[SlackChannel] = new() { Type = ChatChannelTypes.SlackWebhook, Url = Slack.WebhookUrl };
        }

        foreach (var (name, channel) in Channels)
        {
            all[name] = channel;
        }

        return all;
    }

    public string Describe() =>
        $"default {Default}; " + string.Join("; ", AllChannels().Select(c => $"{c.Key}: {c.Value.Describe()}")) +
        $"; skip notices every {SkipNoticeInterval}, {MaxNotifyAttempts} attempts; Slack signing secret {Secrets.Mask(Slack.SigningSecret)}";
}

public static class ChatChannelTypes
{
    public const string Console = "console";
    public const string SlackWebhook = "slack-webhook";
    public const string SlackBot = "slack-bot";
    public const string Teams = "teams";
    public const string Webhook = "webhook";

    public static IReadOnlyList<string> All { get; } = [Console, SlackWebhook, SlackBot, Teams, Webhook];
}

/// <summary>One chat destination. Url and Token are secrets: they are masked wherever settings are shown.</summary>
public sealed class ChatChannelOptions
{
    /// <summary>console, slack-webhook, slack-bot, teams (a Workflows webhook) or webhook (the manifest as JSON).</summary>
    public string? Type { get; set; }

    /// <summary>The webhook URL (slack-webhook, teams, webhook).</summary>
    public string? Url { get; set; }

    /// <summary>slack-bot: the bot token (xoxb-…) with chat:write.</summary>
    public string? Token { get; set; }

    /// <summary>slack-bot: the channel id (C…) to post in; the bot must be a member.</summary>
    public string? Channel { get; set; }

    /// <summary>slack-bot: the Web API base address.</summary>
    public string ApiUrl { get; set; } = "https://slack.com/api";

    /// <summary>webhook: a shared secret; each POST then carries X-AutoCapture-Signature: sha256=HMAC(body).</summary>
    public string? Secret { get; set; }

    public string Describe() => Type switch
    {
        ChatChannelTypes.SlackBot => $"{Type} channel {Channel} token {Secrets.Mask(Token)} via {ApiUrl}",
        ChatChannelTypes.Console or null => Type ?? "(no type)",
        _ => $"{Type} {Secrets.Mask(Url)}{(Secret is null ? string.Empty : $" signed {Secrets.Mask(Secret)}")}",
    };
}

public sealed class SlackOptions
{
    /// <summary>A Slack incoming-webhook URL (it is a secret: it is never logged).</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>
    /// The Slack app's signing secret (Basic Information → App Credentials). With it, slack-bot messages carry a
    /// "Capture again" button and POST /api/slack/interactivity accepts the requests Slack signs with it. Secret.
    /// </summary>
    public string? SigningSecret { get; set; }
}

/// <summary>The capture API: reading (GET /api/captures, GET /api/captures/{id}) and capture on demand (POST /api/captures).</summary>
public sealed class ApiOptions
{
    /// <summary>Tokens accepted as <c>Authorization: Bearer</c> for reading captures (each at least 16 characters). None: only signed links work.</summary>
    public List<string> ReadTokens { get; set; } = [];

    /// <summary>
    /// Tokens that may start captures on demand (each at least 16 characters, none also a read token). A write token
    /// reads too, so whoever starts a capture can follow it to its end with one token. None: capture on demand is off.
    /// </summary>
    public List<string> WriteTokens { get; set; } = [];

    /// <summary>How far back a search without a tag filter or <c>since</c> looks.</summary>
    public int DefaultSearchDays { get; set; } = 30;
}

public sealed class HousekeepingOptions
{
    /// <summary>How often housekeeping runs standalone (under Azure Functions the timer function's schedule decides).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A capture still pending this long after its last change is dispatched again.</summary>
    public TimeSpan PendingDeadline { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Dispatch attempts before a pending capture is failed and reported.</summary>
    public int MaxDispatchAttempts { get; set; } = 3;

    /// <summary>
    /// A dispatched capture that has not finished within its capture durations plus this grace is finished from
    /// the collector's result in the store, or failed with the reason.
    /// </summary>
    public TimeSpan CaptureGrace { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Artifacts up to this size have their SHA-256 recomputed from the store before the manifest lists them.</summary>
    public long VerifyMaxBytes { get; set; } = 256L * 1024 * 1024;
}
