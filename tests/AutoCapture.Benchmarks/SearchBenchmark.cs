using System.Diagnostics;
using System.Globalization;
using AutoCapture.Core.Alerts;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;

namespace AutoCapture.Benchmarks;

/// <summary>
/// The capture index on the folder store: what tagging costs each manifest write (against a plain write of the same
/// manifest), and how long a search for one page takes (against the anchor: reading every manifest and filtering).
/// </summary>
public static class SearchBenchmark
{
    private static readonly string[] Alerts = ["HighCPU", "Deadlock", "MemoryLeak", "SlowRequests"];

    public static async Task<int> RunAsync(int captures, int days, string root)
    {
        var plainRoot = Path.Combine(root, "plain");
        var indexedRoot = Path.Combine(root, "indexed");
        var now = DateTimeOffset.UtcNow;
        var manifests = Enumerable.Range(0, captures).Select(i => Manifest(i, captures, now, days)).ToList();

        var plain = new FolderStore(plainRoot);
        var watch = Stopwatch.StartNew();
        foreach (var manifest in manifests)
        {
            await plain.WriteJsonAsync(CaptureIds.ManifestKey(manifest.Id), manifest, WriteCondition.IfAbsent, CancellationToken.None);
        }

        var plainWrites = watch.Elapsed;
        var indexed = new ManifestStore(new FolderStore(indexedRoot));
        watch.Restart();
        foreach (var manifest in manifests)
        {
            await indexed.WriteAsync(manifest, WriteCondition.IfAbsent, CancellationToken.None);
        }

        var indexedWrites = watch.Elapsed;
        Console.WriteLine($"{captures} manifests over {days} days");
        Console.WriteLine($"write, plain (anchor)       {PerOp(plainWrites, captures)}");
        Console.WriteLine($"write, indexed              {PerOp(indexedWrites, captures)}  ({indexedWrites / plainWrites:0.0}x)");

        var search = new CaptureSearch(indexed, TimeProvider.System);
        var cases = new (string Name, CaptureFilter Filter)[]
        {
            ("newest 50, no filter", new CaptureFilter()),
            ("alert + host (tags)", new CaptureFilter { Alert = "Deadlock", Host = "web-5" }),
            ("status failed (tags)", new CaptureFilter { Status = CaptureStatus.Failed }),
            ("label only (day walk)", new CaptureFilter { Labels = new Dictionary<string, string> { ["pod"] = "checkout-7" } }),
        };
        foreach (var (name, filter) in cases)
        {
            var anchor = await FullScanAsync(indexed, filter);
            var page = await TimeAsync(() => FirstFiftyAsync(search, filter, days + 1));
            if (page.Result.Found != Math.Min(50, anchor.Result))
            {
                Console.Error.WriteLine($"{name}: the search found {page.Result.Found}, the scan {anchor.Result}");
                return 1;
            }

            Console.WriteLine($"{name,-27} first 50 {page.Elapsed.TotalMilliseconds,8:0.0} ms ({page.Result.Requests} requests, {page.Result.Read} manifests read)   full scan (anchor) {anchor.Elapsed.TotalMilliseconds,8:0.0} ms   {anchor.Elapsed / page.Elapsed,6:0.0}x");
        }

        return 0;
    }

    /// <summary>What a client does for the first 50 matches: follow cursors, as pages stop after ~2,000 manifests read.</summary>
    private static async Task<(int Found, int Requests, int Read)> FirstFiftyAsync(CaptureSearch search, CaptureFilter filter, int defaultDays)
    {
        var found = 0;
        var requests = 0;
        var read = 0;
        string? cursor = null;
        do
        {
            var page = await search.SearchAsync(filter, 50 - found, cursor, defaultDays, CancellationToken.None);
            found += page.Captures.Count;
            read += page.ManifestsRead;
            requests++;
            cursor = page.NextCursor;
        }
        while (found < 50 && cursor is not null);

        return (found, requests, read);
    }

    /// <summary>The anchor: what a search without an index does — list everything, read every manifest, filter.</summary>
    private static Task<(int Result, TimeSpan Elapsed)> FullScanAsync(ManifestStore manifests, CaptureFilter filter) => TimeAsync(async () =>
    {
        var matches = 0;
        await foreach (var item in manifests.Store.ListAsync("captures/", CancellationToken.None))
        {
            if (item.Key.EndsWith("/manifest.json", StringComparison.Ordinal)
                && await manifests.ReadAsync(item.Key.Split('/')[^2], CancellationToken.None) is { } manifest
                && filter.Matches(manifest))
            {
                matches++;
            }
        }

        return matches;
    });

    private static async Task<(T Result, TimeSpan Elapsed)> TimeAsync<T>(Func<Task<T>> run)
    {
        var watch = Stopwatch.StartNew();
        var result = await run();
        return (result, watch.Elapsed);
    }

    private static string PerOp(TimeSpan total, int count) => string.Create(CultureInfo.InvariantCulture, $"{total.TotalMilliseconds * 1000 / count,8:0} µs per manifest");

    private static CaptureManifest Manifest(int i, int count, DateTimeOffset now, int days)
    {
        var created = now.AddMinutes(-(double)i / count * days * 24 * 60);
        var labels = new Dictionary<string, string> { ["alertname"] = Alerts[i % Alerts.Length], ["pod"] = $"checkout-{i % 50}" };
        return new CaptureManifest
        {
            Id = CaptureIds.NewRandom(created),
            Status = i % 5 == 0 ? CaptureStatus.Failed : CaptureStatus.Complete,
            Alert = new Alert("alertmanager", Alerts[i % Alerts.Length], AlertStatus.Firing, labels, new Dictionary<string, string>(), created, null, $"fp{i}", $"fp{i}"),
            Rule = "r",
            Target = new CaptureTarget("http://c:7080", $"web-{i % 20}", new ProcessSelector(Name: "checkout")),
            Captures = [new CaptureSpec(CaptureKinds.Stacks)],
            CreatedAt = created,
            UpdatedAt = created,
        };
    }
}
