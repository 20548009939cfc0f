using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Pipeline;

/// <summary>
/// An alert storm against four webhook app instances sharing one store: thousands of deliveries with repeats and
/// duplicates, concurrently, to any instance. The captures started must be exactly what the rules and limits
/// allow — no duplicate, none lost — because dedup and every limit are decided in the store, not in memory.
/// Runs against the folder store and against Azure Blob Storage (Azurite).
/// </summary>
public abstract class ExactnessTests : IAsyncLifetime
{
    private const int Instances = 4;
    private const int Deliveries = 5000;
    private const int Concurrency = 32;

    private const string Rules = """
        rules:
          # Each pod's process is its own target (cooldown and storm count targets by collector and process, not by
          # the host label, which only names them).
          # One capture per pod: a long cooldown on each target, other limits out of the way.
          - name: per-pod
            match: ['alertname = "PodCpu"']
            target: { collector: "{{collector}}", host: "{{ labels.pod }}", process: { name: "{{process}}-{{ labels.pod }}" } }
            captures: [stacks]
          # At most 3 pods per alert group and 7 captures in all: the budget binds.
          - name: budgeted
            match: ['alertname = "Latency"']
            budget: 7
            stormTargets: 3
            target: { collector: "{{collector}}", host: "{{ labels.pod }}", process: { name: "{{process}}-{{ labels.pod }}" } }
            captures: [stacks]
          # Storm sampling binds: 3 pods per group.
          - name: storm
            match: ['alertname = "Storm"']
            stormTargets: 3
            target: { collector: "{{collector}}", host: "{{ labels.pod }}", process: { name: "{{process}}-{{ labels.pod }}" } }
            captures: [stacks]
        """;

    private readonly TestEnvironment _env = new();
    private readonly List<RunningApp> _webhooks = [];

    // The captures must fail for want of a process: a name of this run alone, which nothing else on the machine has.
    private readonly string _process = $"absent-{Guid.NewGuid():N}";

    protected TestEnvironment Environment => _env;

    /// <summary>Settings that point every instance and the collector at the store under test.</summary>
    protected abstract Dictionary<string, string?> StoreSettings();

    protected abstract IArtifactStore OpenStore();
    private FakeSlack _slack = null!;

    private sealed record Instance(string Rule, string Alertname, string Group, string Pod, string Fingerprint, DateTimeOffset StartsAt);

    public async Task InitializeAsync()
    {
        _slack = await FakeSlack.StartAsync();
        var collectorSettings = StoreSettings();
        collectorSettings["AutoCapture:Collector:AllowedProcesses:0:Name"] = _process;
        var collector = await _env.StartCollectorAsync(collectorSettings);
        var settings = new Dictionary<string, string?>(StoreSettings())
        {
            ["AutoCapture:Limits:Cooldown"] = "01:00:00",
            ["AutoCapture:Limits:RuleBudget"] = "1000",
            ["AutoCapture:Limits:StormTargets"] = "1000",
            ["AutoCapture:Limits:MaxInFlight"] = "10000",
            ["AutoCapture:Chat:Default"] = "slack",
            ["AutoCapture:Chat:Slack:WebhookUrl"] = _slack.WebhookUrl,
            // This test is about the admission limits; the per-source throttle has tests of its own. Left at its
            // defaults, a busy machine's stall-then-burst could trip it.
            ["AutoCapture:Sources:Alertmanager:MaxRequestsPerSecond"] = "20000",
            ["AutoCapture:Sources:Alertmanager:Burst"] = "20000",
        };
        for (var i = 0; i < Instances; i++)
        {
            _webhooks.Add(await _env.StartWebhookAsync(Rules.Replace("{{collector}}", collector.Url, StringComparison.Ordinal).Replace("{{process}}", _process, StringComparison.Ordinal), settings));
        }
    }

    public async Task DisposeAsync()
    {
        await _env.DisposeAsync();
        await _slack.DisposeAsync();
    }

    private static List<Instance> AlertInstances()
    {
        var start = DateTimeOffset.UtcNow.AddMinutes(-30);
        var instances = new List<Instance>();
        void Add(string rule, string alertname, int groups, int pods, int firings)
        {
            for (var g = 0; g < groups; g++)
            {
                for (var p = 0; p < pods; p++)
                {
                    for (var f = 0; f < firings; f++)
                    {
                        var pod = $"{rule}-g{g}-p{p}";
                        instances.Add(new Instance(rule, alertname, $"{rule}-group-{g}", pod, $"{pod}-f{f}", start.AddMinutes(f)));
                    }
                }
            }
        }

        Add("per-pod", "PodCpu", groups: 1, pods: 40, firings: 3);
        Add("budgeted", "Latency", groups: 5, pods: 10, firings: 2);
        Add("storm", "Storm", groups: 4, pods: 25, firings: 2);
        return instances;
    }

    private static string Payload(string groupKey, IEnumerable<Instance> alerts) =>
        Alerts.GroupPayload(groupKey, alerts.Select(a => Alerts.Firing(a.Alertname, ("pod", a.Pod)) with { Fingerprint = a.Fingerprint, StartsAt = a.StartsAt }));

    [Fact]
    public async Task A_storm_of_repeated_and_duplicated_deliveries_starts_exactly_what_the_limits_allow()
    {
        var instances = AlertInstances();
        var random = new Random(20261121);
        var groups = instances.GroupBy(i => i.Group).ToList();
        var deliveries = new List<(int Instance, string Body)>();
        while (deliveries.Count < Deliveries)
        {
            // Alertmanager sends a group's alerts together, repeats them, and an HA pair delivers each twice.
            var group = groups[random.Next(groups.Count)];
            var batch = group.OrderBy(_ => random.Next()).Take(random.Next(1, 11)).ToList();
            var body = Payload(group.Key, batch);
            deliveries.Add((random.Next(Instances), body));
            if (random.Next(4) == 0)
            {
                deliveries.Add((random.Next(Instances), body));
            }
        }

        var redelivered = new ConcurrentBag<string>();
        var accepted = new ConcurrentBag<string>();
        var started = new ConcurrentBag<string>();
        var answers = new ConcurrentBag<(string Fingerprint, string CaptureId, string Result, string? Reason)>();
        var answeredOnlyAfterALostAttempt = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(deliveries, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (delivery, token) =>
        {
            var response = await _env.PostAlertAsync(_webhooks[delivery.Instance].Url, delivery.Body);
            var redeliveredThis = response.StatusCode == HttpStatusCode.ServiceUnavailable;
            // As Alertmanager does: a 503 (the store did not answer in time) is delivered again, a few times.
            for (var attempt = 1; attempt < 5 && response.StatusCode == HttpStatusCode.ServiceUnavailable; attempt++)
            {
                redelivered.Add(await response.Content.ReadAsStringAsync(token));
                response.Dispose();
                await Task.Delay(TimeSpan.FromSeconds(attempt), token);
                response = await _env.PostAlertAsync(_webhooks[delivery.Instance].Url, delivery.Body);
            }

            using var answered = response;
            var text = await response.Content.ReadAsStringAsync(token);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                // As Alertmanager does: a 429 is not delivered again, so this delivery is lost; its alerts count only if another delivery carried them.
                return;
            }

            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {text} (after {redelivered.Count} redeliveries in this run: {string.Join(" | ", redelivered.Distinct().Take(3))})");
            accepted.Add(delivery.Body);
            var answer = JsonDocument.Parse(text).RootElement;
            foreach (var alert in answer.GetProperty("alerts").EnumerateArray())
            {
                foreach (var capture in alert.GetProperty("captures").EnumerateArray())
                {
                    var result = capture.GetProperty("result").GetString();
                    answers.Add((alert.GetProperty("fingerprint").GetString()!, capture.GetProperty("captureId").GetString()!, result!, capture.TryGetProperty("reason", out var reason) ? reason.GetString() : null));
                    if (result == "started")
                    {
                        started.Add(capture.GetProperty("captureId").GetString()!);
                    }
                    else if (result == "duplicate" && redeliveredThis)
                    {
                        // The 503'd attempt may have started it before the store failed; its answer was lost.
                        answeredOnlyAfterALostAttempt.Add(capture.GetProperty("captureId").GetString()!);
                    }
                }
            }
        });

        Assert.True(deliveries.Count >= Deliveries);

        // Zero lost: every alert instance that was delivered was answered, and has exactly one manifest when it was
        // started or its skip was told in chat (other skips leave nothing in the store and are decided afresh on each repeat).
        var delivered = instances.Where(i => accepted.Any(body => body.Contains($"\"{i.Fingerprint}\"", StringComparison.Ordinal))).ToList();
        var store = OpenStore();
        var manifests = new List<CaptureManifest>();
        await foreach (var item in store.ListAsync("captures/", CancellationToken.None))
        {
            if (item.Key.EndsWith("/manifest.json", StringComparison.Ordinal))
            {
                manifests.Add((await store.ReadAsync<CaptureManifest>(item.Key, CancellationToken.None))!.Value.Value);
            }
        }

        Assert.Equal(delivered.Select(i => i.Fingerprint).Order(), answers.Select(a => a.Fingerprint).Distinct().Order());
        Assert.Equal(manifests.Count, manifests.Select(m => m.Alert.Fingerprint).Distinct().Count());
        var recorded = manifests.Select(m => m.Id).ToHashSet();
        var unrecorded = answers.Where(a => !recorded.Contains(a.CaptureId)).ToList();
        Assert.All(unrecorded, a => Assert.True(a.Result == "skipped" && !string.IsNullOrEmpty(a.Reason), $"{a.CaptureId} answered {a.Result} ({a.Reason}) has no manifest"));
        Assert.All(manifests.Where(m => m.Status == CaptureStatus.Skipped), m => Assert.False(string.IsNullOrEmpty(m.SkipReason)));

        // Exactly what the limits allow, and each started capture answered "started" exactly once (or, started by
        // an attempt answered 503, "duplicate" when delivered again).
        var running = manifests.Where(m => m.Status != CaptureStatus.Skipped).ToList();
        Assert.Equal(started.Count, started.Distinct().Count());
        Assert.Empty(started.Except(running.Select(m => m.Id)));
        Assert.Empty(running.Select(m => m.Id).Except(started).Except(answeredOnlyAfterALostAttempt));
        var perPod = running.Where(m => m.Rule == "per-pod").ToList();
        Assert.Equal(delivered.Where(i => i.Rule == "per-pod").Select(i => i.Pod).Distinct().Count(), perPod.Count);
        Assert.Equal(perPod.Count, perPod.Select(m => m.Target.Host).Distinct().Count());
        Assert.Equal(7, running.Count(m => m.Rule == "budgeted"));
        Assert.All(running.Where(m => m.Rule == "budgeted").GroupBy(m => m.Alert.GroupKey), g => Assert.True(g.Count() <= 3));
        var storm = running.Where(m => m.Rule == "storm").ToList();
        Assert.Equal(12, storm.Count);
        Assert.All(storm.GroupBy(m => m.Alert.GroupKey), g => Assert.Equal(3, g.Select(m => m.Target.Host).Distinct().Count()));

        // Every skip says why, in the words the limits use.
        Assert.Contains(unrecorded, a => a.Reason!.Contains("cooldown on", StringComparison.Ordinal));
        Assert.Contains(unrecorded, a => a.Reason!.StartsWith("budget exhausted: rule budgeted allows 7 captures", StringComparison.Ordinal));
        Assert.Contains(unrecorded, a => a.Reason!.StartsWith("storm: rule storm already captures 3 targets", StringComparison.Ordinal));

        // The started captures all finish (the collector finds no such process) and free their in-flight slots.
        foreach (var manifest in running)
        {
            var finished = await WaitForOutcomeAsync(new ManifestStore(store), manifest.Id);
            Assert.Equal(CaptureStatus.Failed, finished.Status);
        }

        // A capture is settled (its slot freed, and it leaves the open captures) just after its chat message is recorded.
        for (var attempt = 0; attempt < 300 && (await InFlightAsync(store) > 0 || await new OpenCaptures(store).ListAsync(CancellationToken.None).AnyAsync()); attempt++)
        {
            await Task.Delay(100);
        }

        Assert.Equal(0, await InFlightAsync(store));

        // Chat heard every capture's outcome, and of the skips only one per rule and limit (never a storm-sampled one),
        // however many instances decided them.
        var told = manifests.Where(m => m.Status == CaptureStatus.Skipped && !m.Quiet).ToList();
        foreach (var skip in told)
        {
            await WaitForOutcomeAsync(new ManifestStore(store), skip.Id);
        }

        Assert.NotEmpty(told);
        Assert.All(told.GroupBy(m => (m.Rule, Limit: LimitOf(m.SkipReason!))), g => Assert.Single(g));
        Assert.DoesNotContain(told, m => LimitOf(m.SkipReason!) == "storm");
        Assert.Equal(running.Count + told.Count, _slack.Accepted.Count);
    }

    private static async Task<int> InFlightAsync(IArtifactStore store) =>
        (await store.ReadAsync<AutoCapture.Functions.Limits.LimitState>("state/limits/inflight.json", CancellationToken.None))?.Value.Entries.Count ?? 0;

    private static string LimitOf(string skipReason) =>
        skipReason.Contains("storm: ", StringComparison.Ordinal) ? "storm"
        : skipReason.Contains("budget exhausted", StringComparison.Ordinal) ? "budget"
        : skipReason.Contains("in-flight cap", StringComparison.Ordinal) ? "in-flight"
        : "cooldown";

    private static async Task<CaptureManifest> WaitForOutcomeAsync(ManifestStore manifests, string id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (true)
        {
            var manifest = await manifests.ReadAsync(id, CancellationToken.None);
            if (manifest is { } m && m.Status.IsTerminal() && (m.NotifiedAt is not null || m.NotifyError is not null))
            {
                return m;
            }

            Assert.True(DateTime.UtcNow < deadline, $"capture {id} did not finish; last status {manifest?.Status}");
            await Task.Delay(200);
        }
    }
}

public sealed class FolderStoreExactnessTests : ExactnessTests
{
    protected override Dictionary<string, string?> StoreSettings() => new() { ["AutoCapture:Store:Path"] = Environment.StorePath };

    protected override IArtifactStore OpenStore() => new FolderStore(Environment.StorePath);
}

[Collection(Azurite.CollectionName)]
public sealed class AzuriteExactnessTests(Azurite azurite) : ExactnessTests
{
    private readonly string _container = Azurite.NewContainerName();

    protected override Dictionary<string, string?> StoreSettings() => new()
    {
        ["AutoCapture:Store:Kind"] = "azureblob",
        ["AutoCapture:Store:ConnectionString"] = azurite.ConnectionString,
        ["AutoCapture:Store:Container"] = _container,
    };

    protected override IArtifactStore OpenStore() => azurite.NewStore(_container);
}
