using System.Security.Cryptography;
using AutoCapture.Core.Alerts;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;

namespace AutoCapture.IntegrationTests.Support;

/// <summary>
/// Fills a store with many finished captures spread over days, written the way the webhook app writes them
/// (through ManifestStore, so they are indexed), with real artifact bytes whose size and SHA-256 the manifest states.
/// </summary>
public static class CaptureSeeder
{
    private static readonly string[] AlertNames = ["HighCPU", "Deadlock", "MemoryLeak"];
    private static readonly string[] Processes = ["checkout", "cart"];
    private static readonly CaptureStatus[] Statuses = [CaptureStatus.Complete, CaptureStatus.Complete, CaptureStatus.Failed, CaptureStatus.Skipped];

    /// <summary>Seeds <paramref name="count"/> captures, <paramref name="perDay"/> per day going back from <paramref name="now"/>'s day.</summary>
    public static async Task<List<CaptureManifest>> SeedAsync(IArtifactStore store, DateTimeOffset now, int count, int perDay, int artifactBytes = 2048, int dayOffset = 0)
    {
        var manifests = new ManifestStore(store);
        var seeded = new List<CaptureManifest>();
        for (var i = 0; i < count; i++)
        {
            var day = now.UtcDateTime.Date.AddDays(-(i / perDay) - dayOffset);
            var createdAt = new DateTimeOffset(day.AddMinutes(1 + (i % perDay) * 7 % 1400), TimeSpan.Zero);
            var status = Statuses[i % Statuses.Length];
            var process = Processes[i % Processes.Length];
            var labels = new Dictionary<string, string>
            {
                ["alertname"] = AlertNames[i % AlertNames.Length],
                ["service"] = process,
                ["env"] = i % 3 == 0 ? "prod" : "stage",
                ["instance"] = $"web-{i % 5}:9100",
            };
            var alert = new Alert("alertmanager", AlertNames[i % AlertNames.Length], AlertStatus.Firing, labels, new Dictionary<string, string>(), createdAt.AddMinutes(-1), null, $"fp{i}", $"fp{i}@{createdAt:O}");
            var id = CaptureIds.NewRandom(createdAt);
            var artifacts = new List<ArtifactInfo>();
            if (status == CaptureStatus.Complete)
            {
                var bytes = RandomNumberGenerator.GetBytes(artifactBytes);
                await store.WriteAsync(CaptureIds.ArtifactKey(id, "stacks.txt"), new MemoryStream(bytes), WriteCondition.None, CancellationToken.None);
                artifacts.Add(new ArtifactInfo("stacks.txt", CaptureKinds.Stacks, "text/plain", bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes))));
            }

            var manifest = new CaptureManifest
            {
                Id = id,
                Status = status,
                Alert = alert,
                Rule = i % 2 == 0 ? "checkout-rule" : "cart-rule",
                Target = new CaptureTarget("http://127.0.0.1:9", $"web-{i % 5}", new ProcessSelector(Name: process)),
                Captures = [new CaptureSpec(CaptureKinds.Stacks)],
                CreatedAt = createdAt,
                UpdatedAt = createdAt,
                CompletedAt = status == CaptureStatus.Skipped ? createdAt : createdAt.AddSeconds(3),
                Process = status == CaptureStatus.Complete ? new ResolvedProcess(1000 + i, process, null) : null,
                Kinds = status == CaptureStatus.Complete ? [new KindResult(CaptureKinds.Stacks, KindOutcome.Succeeded, null, 0.4)] : [],
                Artifacts = artifacts,
                Error = status == CaptureStatus.Failed ? $"process not found: no .NET process matched name={process}" : null,
                SkipReason = status == CaptureStatus.Skipped ? "budget exhausted: rule allows 5 captures per 01:00:00" : null,
            };
            Assert.True((await manifests.WriteAsync(manifest, WriteCondition.IfAbsent, CancellationToken.None)).Written);
            seeded.Add(manifest);
        }

        return seeded;
    }

    /// <summary>Newest first, as the search orders: by the capture's day, then creation time, then id.</summary>
    public static IEnumerable<CaptureManifest> NewestFirst(this IEnumerable<CaptureManifest> manifests) =>
        manifests.OrderByDescending(m => m.Id[..8], StringComparer.Ordinal).ThenByDescending(m => m.CreatedAt).ThenByDescending(m => m.Id, StringComparer.Ordinal);
}
