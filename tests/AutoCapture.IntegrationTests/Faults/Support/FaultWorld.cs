using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.IntegrationTests.Dotnet;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Faults.Support;

public enum StoreKind
{
    Folder,
    Azurite,
}

/// <summary>An alert as the test delivered it: what the webhook app answered, and the capture it accepted, if any.</summary>
public sealed record SentAlert(string Fingerprint, DateTimeOffset StartsAt, string Labels, HttpStatusCode Status, string? CaptureId, string Answer)
{
    public bool Accepted => CaptureId is not null;
}

/// <summary>
/// A private world for one fault scenario: a store (a folder, or Azurite keeping its data on disk), fresh secrets,
/// a rules file, a Slack stand-in, .NET targets, and the webhook app and collector as real processes configured
/// through environment variables. It sends alerts as Alertmanager does, and at the end judges, from the store,
/// the chat stand-in and the collectors' logs, what became of every alert it got accepted.
/// </summary>
public sealed class FaultWorld : IAsyncDisposable
{
    public const string AlertName = "FaultInjection";
    public const string RuleName = "fault-injection";

    private readonly List<ProcessHost> _hosts = [];
    private readonly List<TestTargetProcess> _targets = [];
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly List<SentAlert> _sent = [];

    private FaultWorld(string scenario, StoreKind storeKind, string root)
    {
        Scenario = scenario;
        StoreKind = storeKind;
        Root = root;
    }

    public string Scenario { get; }

    public StoreKind StoreKind { get; }

    public string Root { get; }

    public string BearerToken { get; } = TestEnvironment.Secret();

    public string CollectorKey { get; } = TestEnvironment.Secret();

    public string LinkKey { get; } = TestEnvironment.Secret();

    public FakeSlack Slack { get; private set; } = null!;

    /// <summary>Set when the store is Azurite.</summary>
    public PersistentAzurite? Azurite { get; private set; }

    public IArtifactStore Store { get; private set; } = null!;

    public ManifestStore Manifests => new(Store);

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(120) };

    public IReadOnlyList<SentAlert> Sent => _sent;

    /// <summary>A timed capture long enough to be interrupted, and a snapshot.</summary>
    public const string TimedCaptures = "[ { kind: cpu, duration: 2s }, stacks ]";

    /// <summary>A quick snapshot, for scenarios whose fault does not need a capture in progress.</summary>
    public const string SnapshotCaptures = "[ stacks ]";

    /// <param name="captures">The rule's <c>captures:</c> list, in YAML flow style.</param>
    public static async Task<FaultWorld> CreateAsync(string scenario, StoreKind storeKind, string captures = TimedCaptures)
    {
        var root = Path.Combine(Path.GetTempPath(), "autocapture-faults", $"{DateTime.UtcNow:HHmmss}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(root);
        var world = new FaultWorld(scenario, storeKind, root);
        await File.WriteAllTextAsync(world.RulesFile, $$$"""
            rules:
              - name: {{{RuleName}}}
                match: [ 'alertname = "{{{AlertName}}}"' ]
                target:
                  collector: "{{ labels.collector }}"
                  host: "{{ labels.host }}"
                  process: { pid: "{{ labels.pid }}" }
                captures: {{{captures}}}
            """);
        world.Slack = await FakeSlack.StartAsync();
        world._owned.Add(world.Slack);
        if (storeKind == StoreKind.Azurite)
        {
            world.Azurite = await PersistentAzurite.StartAsync(Path.Combine(root, "azurite"));
            world._owned.Add(world.Azurite);
        }

        world.Store = ArtifactStores.Create(world.StoreOptions());
        return world;
    }

    private string RulesFile => Path.Combine(Root, "rules.yaml");

    public string LogDirectory => Path.Combine(Root, "logs");

    public string CollectorWorkDirectory => Path.Combine(Root, "collector-work");

    private StoreOptions StoreOptions() => StoreKind == StoreKind.Folder
        ? new StoreOptions { Path = Path.Combine(Root, "store") }
        : new StoreOptions { Kind = StoreBackend.AzureBlob, ConnectionString = Azurite!.ConnectionString, Container = "autocapture" };

    private Dictionary<string, string> StoreSettings() => StoreKind == StoreKind.Folder
        ? new() { ["AutoCapture:Store:Path"] = Path.Combine(Root, "store") }
        : new()
        {
            ["AutoCapture:Store:Kind"] = "azureblob",
            ["AutoCapture:Store:ConnectionString"] = Azurite!.ConnectionString,
            ["AutoCapture:Store:Container"] = "autocapture",
        };

    /// <summary>
    /// The webhook app's settings: every limit out of the way (the faults are the subject, not the limits), chat to
    /// the Slack stand-in, and housekeeping every second with short deadlines so recovery happens within the test.
    /// </summary>
    public Dictionary<string, string> WebhookSettings() => new(StoreSettings())
    {
        ["AutoCapture:RulesFile"] = RulesFile,
        ["AutoCapture:Sources:Alertmanager:BearerToken"] = BearerToken,
        ["AutoCapture:Collector:SigningKey"] = CollectorKey,
        ["AutoCapture:Collector:RequestTimeout"] = "00:00:02",
        ["AutoCapture:Collector:MaxAttempts"] = "2",
        // The rule takes the collector from a label (collectors and fault proxies listen on free ports).
        ["AutoCapture:Collector:AllowedCollectors:0"] = "127.0.0.1",
        ["AutoCapture:Links:SigningKey"] = LinkKey,
        ["AutoCapture:Chat:Default"] = "slack",
        ["AutoCapture:Chat:Slack:WebhookUrl"] = Slack.WebhookUrl,
        ["AutoCapture:Limits:Cooldown"] = "00:00:00",
        ["AutoCapture:Limits:RuleBudget"] = "1000",
        ["AutoCapture:Limits:StormTargets"] = "1000",
        ["AutoCapture:Limits:MaxInFlight"] = "100",
        ["AutoCapture:Housekeeping:Interval"] = "00:00:01",
        ["AutoCapture:Housekeeping:PendingDeadline"] = "00:00:02",
        ["AutoCapture:Housekeeping:MaxDispatchAttempts"] = "3",
        // Generous next to the capture itself: analysing a trace on a loaded 2-core machine takes seconds.
        ["AutoCapture:Housekeeping:CaptureGrace"] = "00:00:20",
    };

    public Dictionary<string, string> CollectorSettings() => new(StoreSettings())
    {
        ["AutoCapture:Collector:SigningKey"] = CollectorKey,
        ["AutoCapture:Collector:AllowedProcesses:0:Name"] = TestTargetProcess.Name,
        ["AutoCapture:Collector:WorkDirectory"] = CollectorWorkDirectory,
    };

    /// <summary>A webhook app process (not started yet); <paramref name="port"/> lets a second instance take over an address.</summary>
    public ProcessHost Webhook(string name = "webhook", Dictionary<string, string>? settings = null, int? port = null) =>
        Host(name, ProcessHost.WebhookDll, settings ?? WebhookSettings(), port);

    public ProcessHost Collector(string name = "collector", Dictionary<string, string>? settings = null, int? port = null) =>
        Host(name, ProcessHost.CollectorDll, settings ?? CollectorSettings(), port);

    private ProcessHost Host(string name, string dll, Dictionary<string, string> settings, int? port)
    {
        var host = new ProcessHost(name, dll, port ?? FreePorts.Next(), settings, LogDirectory);
        _hosts.Add(host);
        return host;
    }

    public async Task<TestTargetProcess> TargetAsync(string mode = "cpu")
    {
        var target = await TestTargetProcess.StartAsync(mode);
        _targets.Add(target);
        return target;
    }

    /// <summary>Delivers a new firing alert for <paramref name="target"/>, whose capture goes to <paramref name="collectorUrl"/>.</summary>
    public Task<SentAlert> SendAsync(ProcessHost webhook, string collectorUrl, TestTargetProcess target) =>
        DeliverAsync(webhook, Guid.NewGuid().ToString("N")[..16], DateTimeOffset.UtcNow, collectorUrl, target.Pid);

    /// <summary>Delivers the same alert again, as Alertmanager does after a failed delivery or every repeat_interval.</summary>
    public Task<SentAlert> ResendAsync(ProcessHost webhook, SentAlert alert)
    {
        var labels = JsonSerializer.Deserialize<Dictionary<string, string>>(alert.Labels)!;
        return DeliverAsync(webhook, alert.Fingerprint, alert.StartsAt, labels["collector"], int.Parse(labels["pid"], CultureInfo.InvariantCulture));
    }

    private async Task<SentAlert> DeliverAsync(ProcessHost webhook, string fingerprint, DateTimeOffset startsAt, string collectorUrl, int pid)
    {
        var spec = Alerts.Firing(AlertName, ("scenario", Scenario), ("collector", collectorUrl), ("host", "fault-host"), ("pid", pid.ToString(CultureInfo.InvariantCulture)))
            with { Fingerprint = fingerprint, StartsAt = startsAt };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{webhook.Url}/api/alerts/alertmanager")
        {
            Content = new StringContent(Alerts.Payload(spec), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", BearerToken);
        using var response = await Http.SendAsync(request);
        var answer = await response.Content.ReadAsStringAsync();
        string? captureId = null;
        if (response.StatusCode == HttpStatusCode.Accepted)
        {
            using var document = JsonDocument.Parse(answer);
            var capture = document.RootElement.GetProperty("alerts")[0].GetProperty("captures")[0];
            var result = capture.GetProperty("result").GetString();
            Assert.True(result is "started" or "duplicate", $"the webhook app did not start a capture: {answer}");
            captureId = capture.GetProperty("captureId").GetString();
        }

        var sent = new SentAlert(fingerprint, startsAt, JsonSerializer.Serialize(spec.Labels), response.StatusCode, captureId, answer);
        _sent.Add(sent);
        return sent;
    }

    /// <summary>Waits until the capture's manifest satisfies <paramref name="condition"/> (store errors count as not yet).</summary>
    public async Task<CaptureManifest> WaitForAsync(string captureId, Func<CaptureManifest, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        CaptureManifest? manifest = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                manifest = await Manifests.ReadAsync(captureId, CancellationToken.None);
                if (manifest is not null && condition(manifest))
                {
                    return manifest;
                }
            }
            catch (StoreException)
            {
                // The store is down: that may be the fault under test.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"capture {captureId} was not {what} within {timeout}; it is {manifest?.Status.ToString() ?? "missing"} (error: {manifest?.Error})");
    }

    /// <summary>
    /// Waits until every accepted alert's capture has ended and chat was told (or failed to be, recorded on the
    /// manifest), then judges what became of each: the scenario's row in the reliability table.
    /// </summary>
    public async Task<ScenarioOutcome> SettleAsync(TimeSpan timeout)
    {
        var ids = _sent.Where(a => a.Accepted).Select(a => a.CaptureId!).Distinct(StringComparer.Ordinal).ToList();
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var manifests = await ReadAllAsync(ids);
            if (manifests.Values.All(m => m is { } done && done.Status.IsTerminal() && (done.NotifiedAt is not null || done.NotifyError is not null)))
            {
                break;
            }

            await Task.Delay(200);
        }

        // Anything still to come (a late re-dispatch, a second chat message) has a moment to show itself.
        await Task.Delay(1000);
        return await JudgeAsync(ids);
    }

    private async Task<Dictionary<string, CaptureManifest?>> ReadAllAsync(IEnumerable<string> ids)
    {
        var manifests = new Dictionary<string, CaptureManifest?>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            try
            {
                manifests[id] = await Manifests.ReadAsync(id, CancellationToken.None);
            }
            catch (StoreException)
            {
                manifests[id] = null;
            }
        }

        return manifests;
    }

    private async Task<ScenarioOutcome> JudgeAsync(IReadOnlyList<string> ids)
    {
        var problems = new List<string>();
        var manifests = await ReadAllAsync(ids);
        var runs = CollectorRuns();
        var messages = Slack.Accepted.Select(m => m.ToJsonString()).ToList();
        int completed = 0, failedWithReason = 0, lost = 0, duplicate = 0;
        foreach (var id in ids)
        {
            var manifest = manifests[id];
            var problem = manifest is null ? "no manifest in the store" : await CheckAsync(manifest, messages);
            if (problem is not null)
            {
                lost++;
                problems.Add($"lost {id}: {problem}");
                continue;
            }

            if (manifest!.Status == CaptureStatus.Complete)
            {
                completed++;
            }
            else
            {
                failedWithReason++;
            }

            var chatCount = messages.Count(m => IsAbout(m, id));
            if (chatCount > 1)
            {
                problems.Add($"chat got {chatCount} messages for {id}");
            }
        }

        foreach (var (id, count) in runs.Where(r => r.Value > 1))
        {
            duplicate += count - 1;
            problems.Add($"duplicate: the collectors ran capture {id} {count} times");
        }

        foreach (var stored in await AllManifestsAsync())
        {
            if (!ids.Contains(stored.Id))
            {
                duplicate++;
                problems.Add($"duplicate: manifest {stored.Id} ({stored.Status}) for alert {stored.Alert.Fingerprint} is not the capture the webhook app answered with");
            }
        }

        var row = new ScenarioRow(Scenario, StoreKind == StoreKind.Folder ? "folder" : "Azurite", _sent.Select(a => a.Fingerprint).Distinct().Count(), ids.Count, completed, failedWithReason, lost, duplicate);
        var reasons = manifests.Values.OfType<CaptureManifest>().Where(m => m.Status != CaptureStatus.Complete).Select(m => m.Error ?? m.SkipReason ?? "?").ToList();
        return new ScenarioOutcome(row, problems, manifests, runs, reasons, this);
    }

    /// <summary>Why a capture counts as lost, or null: it must have ended, say why if it did not complete, have told chat (or recorded why not), and keep every artifact it lists intact.</summary>
    private async Task<string?> CheckAsync(CaptureManifest manifest, IReadOnlyList<string> messages)
    {
        if (!manifest.Status.IsTerminal())
        {
            return $"still {manifest.Status} (error: {manifest.Error ?? "none"})";
        }

        var reason = manifest.Status == CaptureStatus.Skipped ? manifest.SkipReason : manifest.Error;
        if (manifest.Status != CaptureStatus.Complete && string.IsNullOrWhiteSpace(reason))
        {
            return $"{manifest.Status} without a reason";
        }

        if (manifest.NotifiedAt is null && manifest.NotifyError is null)
        {
            return "chat was never told, and the manifest does not say why";
        }

        if (manifest.NotifiedAt is not null)
        {
            var message = messages.FirstOrDefault(m => IsAbout(m, manifest.Id));
            if (message is null)
            {
                return "the manifest says chat was told, but Slack got no message for it";
            }

            var headline = manifest.Status == CaptureStatus.Complete ? "Captured " : "Capture failed: ";
            if (!message.Contains(headline, StringComparison.Ordinal))
            {
                return $"the chat message does not say '{headline.Trim()}'";
            }
        }

        foreach (var artifact in manifest.Artifacts)
        {
            await using var stored = await Store.OpenReadAsync(CaptureIds.ArtifactKey(manifest.Id, artifact.Name), CancellationToken.None);
            if (stored is null)
            {
                return $"artifact {artifact.Name} is listed but not in the store";
            }

            var hash = Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(stored.Content));
            if (stored.Size != artifact.Size || hash != artifact.Sha256)
            {
                return $"artifact {artifact.Name} in the store is not what the manifest lists";
            }
        }

        return null;
    }

    /// <summary>A chat message is about a capture if it links to its page (another capture's id may be in its text).</summary>
    private static bool IsAbout(string message, string captureId) =>
        message.Contains($"/api/captures/{captureId}?", StringComparison.Ordinal);

    /// <summary>How many times the collectors (every run of every one) started each capture, from their logs.</summary>
    public Dictionary<string, int> CollectorRuns() =>
        _hosts.Where(h => h.Name.StartsWith("collector", StringComparison.Ordinal))
            .SelectMany(h => h.LogEvents())
            .Where(e => e.Template.StartsWith("Capture {CaptureId} accepted:", StringComparison.Ordinal))
            .GroupBy(e => e.Property("CaptureId") ?? "?", StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    private async Task<List<CaptureManifest>> AllManifestsAsync()
    {
        var all = new List<CaptureManifest>();
        await foreach (var item in Store.ListAsync("captures/", CancellationToken.None))
        {
            if (item.Key.EndsWith("/manifest.json", StringComparison.Ordinal)
                && await Manifests.ReadAsync(item.Key.Split('/')[^2], CancellationToken.None) is { } manifest)
            {
                all.Add(manifest);
            }
        }

        return all;
    }

    /// <summary>Where to look when a scenario fails: the processes' log files (copied under the test output's reliability/logs at the end).</summary>
    public string Logs => string.Join("; ", _hosts.Select(h => h.LogFiles));

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            host.Dispose();
        }

        foreach (var target in _targets)
        {
            target.Dispose();
        }

        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }

        Http.Dispose();
        if (Store is IDisposable disposable)
        {
            disposable.Dispose();
        }

        // The processes' logs stay with the test results; the store, Azurite's data and scratch space go.
        var kept = Path.Combine(ReliabilityTable.Directory, "logs", Path.GetFileName(Root) + "-" + new string([.. Scenario.Select(c => char.IsLetterOrDigit(c) ? c : '-')]));
        if (Directory.Exists(LogDirectory))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(kept)!);
            CopyDirectory(LogDirectory, kept);
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: scratch space under /tmp.
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }
    }
}
