using System.Security.Cryptography;
using AutoCapture.Core.Alerts;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.Functions.Admission;
using AutoCapture.Functions.Hosting;
using AutoCapture.Functions.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AutoCapture.Tests.Admission;

/// <summary>
/// The webhook app's own services (built, not started) over a store folder and a clock the test moves, so admission is
/// exercised exactly as the app wires it. Every instance built on the same folder is another app instance.
/// </summary>
public sealed class AdmissionKit : IAsyncDisposable
{
    private readonly List<WebApplication> _apps = [];

    public AdmissionKit(string rulesYaml)
    {
        Directory.CreateDirectory(Root);
        RulesFile = Path.Combine(Root, "rules.yaml");
        File.WriteAllText(RulesFile, rulesYaml);
    }

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "autocapture-admission", Guid.NewGuid().ToString("N"));

    public string RulesFile { get; }

    public string StorePath => Path.Combine(Root, "store");

    public ManualClock Clock { get; } = new(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));

    public FolderStore Folder => new(StorePath);

    /// <summary>One app instance; its store goes through <paramref name="wrap"/> (counting, failing) when given.</summary>
    public Instance NewInstance(Func<IArtifactStore, IArtifactStore>? wrap = null, Dictionary<string, string?>? settings = null)
    {
        var configuration = new Dictionary<string, string?>
        {
            ["AutoCapture:RulesFile"] = RulesFile,
            ["AutoCapture:Store:Path"] = StorePath,
            ["AutoCapture:Sources:Alertmanager:BearerToken"] = Secret(),
            ["AutoCapture:Collector:SigningKey"] = Secret(),
            ["AutoCapture:Links:SigningKey"] = Secret(),
            ["AutoCapture:PublicBaseUrl"] = "http://127.0.0.1:1",
            ["Serilog:MinimumLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? [])
        {
            configuration[key] = value;
        }

        var app = WebhookApp.Create(
            [],
            b => b.Configuration.AddInMemoryCollection(configuration),
            services =>
            {
                services.AddSingleton<TimeProvider>(Clock);
                services.AddSingleton<IArtifactStore>(_ => wrap is null ? new FolderStore(StorePath) : wrap(new FolderStore(StorePath)));
            });
        _apps.Add(app);
        return new Instance(app.Services);
    }

    public static Alert Firing(string name, DateTimeOffset startsAt, string group, params (string Key, string Value)[] labels)
    {
        var all = labels.Append(("alertname", name)).ToDictionary(l => l.Item1, l => l.Item2);
        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join(",", all.OrderBy(l => l.Key)))), 0, 8);
        return new Alert("alertmanager", name, AlertStatus.Firing, all, new Dictionary<string, string>(), startsAt, null, fingerprint, $"{fingerprint}@{startsAt:O}", GroupKey: group);
    }

    private static string Secret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }

        Directory.Delete(Root, recursive: true);
    }

    public sealed class Instance(IServiceProvider services)
    {
        public CaptureAdmission Admission => services.GetRequiredService<CaptureAdmission>();

        public IServiceProvider Services => services;

        /// <summary>Routes the alerts as the webhook would and admits the captures; returns them with their decisions.</summary>
        public async Task<List<PlannedCapture>> DeliverAsync(IEnumerable<Alert> alerts, CancellationToken cancellationToken = default)
        {
            var context = new WebhookContext("alertmanager", _ => null, _ => null, "application/json", _ => Task.FromResult(ReadOnlyMemory<byte>.Empty), DateTimeOffset.UtcNow);
            context.Alerts.AddRange(alerts);
            await services.GetRequiredService<RouteStage>().ExecuteAsync(context, cancellationToken);
            await Admission.AdmitAsync(context.Captures, cancellationToken);
            return context.Captures;
        }
    }
}

/// <summary>A store that counts operations and lost compare-and-swaps, and can fail the n-th operation as a cancelled request would.</summary>
public sealed class StepStore(IArtifactStore inner) : IArtifactStore
{
    private int _operations;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _refusedWrites = [];
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _reads = [];

    public int Operations => _operations;

    /// <summary>Keys of conditional writes the store refused: compare-and-swaps lost to another writer.</summary>
    public IReadOnlyCollection<string> RefusedWrites => _refusedWrites;

    /// <summary>The operation (1-based) that throws <see cref="OperationCanceledException"/>; 0 for none.</summary>
    public int CancelAt { get; set; }

    /// <summary>Runs once, just before the first write to a key with this ending (to race another instance in).</summary>
    public (string KeyEnding, Func<Task> Action)? BeforeFirstWrite { get; set; }

    public string Description => inner.Description;

    private void Step()
    {
        if (Interlocked.Increment(ref _operations) == CancelAt)
        {
            throw new OperationCanceledException("cancelled by the test at this store operation");
        }
    }

    /// <summary>Keys read, in order.</summary>
    public IReadOnlyCollection<string> Reads => _reads;

    public Task<StoreObject?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        Step();
        _reads.Enqueue(key);
        return inner.OpenReadAsync(key, cancellationToken);
    }

    public async Task<WriteResult> WriteAsync(string key, Stream content, WriteCondition condition, CancellationToken cancellationToken)
    {
        Step();
        if (BeforeFirstWrite is { } hook && key.EndsWith(hook.KeyEnding, StringComparison.Ordinal))
        {
            BeforeFirstWrite = null;
            await hook.Action();
        }

        var result = await inner.WriteAsync(key, content, condition, cancellationToken);
        if (!result.Written)
        {
            _refusedWrites.Enqueue(key);
        }

        return result;
    }

    public IAsyncEnumerable<StoreItem> ListAsync(string prefix, CancellationToken cancellationToken)
    {
        Step();
        return inner.ListAsync(prefix, cancellationToken);
    }

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken)
    {
        Step();
        return inner.DeleteAsync(key, cancellationToken);
    }
}
