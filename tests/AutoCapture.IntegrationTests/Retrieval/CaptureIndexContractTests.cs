using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Retrieval;

/// <summary>
/// The capture index and search on each store backend: blob index tags on Azurite, the folder store's tag index
/// locally. Searches match what was seeded, and tags stay true to the manifests when many writers update them at once.
/// </summary>
public abstract class CaptureIndexContractTests
{
    protected abstract IArtifactStore NewStore();

    private static CaptureSearch Search(IArtifactStore store) => new(new ManifestStore(store), TimeProvider.System);

    private static async Task<List<string>> AllAsync(CaptureSearch search, CaptureFilter filter, int limit = 7)
    {
        var ids = new List<string>();
        string? cursor = null;
        do
        {
            var page = await search.SearchAsync(filter, limit, cursor, defaultDays: 30, CancellationToken.None);
            ids.AddRange(page.Captures.Select(c => c.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        return ids;
    }

    [Fact]
    public async Task Tag_filters_and_label_filters_find_exactly_the_matching_captures_newest_first()
    {
        var store = NewStore();
        var seeded = await CaptureSeeder.SeedAsync(store, DateTimeOffset.UtcNow, 48, perDay: 16);
        var search = Search(store);

        var byAlertAndHost = await AllAsync(search, new CaptureFilter { Alert = "highcpu", Host = "WEB-1" });
        var failedCheckout = await AllAsync(search, new CaptureFilter { Status = CaptureStatus.Failed, Process = "checkout" });
        var prodCheckout = await AllAsync(search, new CaptureFilter { Rule = "checkout-rule", Labels = new Dictionary<string, string> { ["env"] = "prod" } });

        Assert.Equal(seeded.Where(m => m.Alert.Name == "HighCPU" && m.Target.Host == "web-1").NewestFirst().Select(m => m.Id), byAlertAndHost);
        Assert.Equal(seeded.Where(m => m.Status == CaptureStatus.Failed && m.Target.Process.Name == "checkout").NewestFirst().Select(m => m.Id), failedCheckout);
        Assert.Equal(seeded.Where(m => m.Rule == "checkout-rule" && m.Alert.Labels["env"] == "prod").NewestFirst().Select(m => m.Id), prodCheckout);
        Assert.NotEmpty(byAlertAndHost);
        Assert.NotEmpty(failedCheckout);
        Assert.NotEmpty(prodCheckout);
    }

    [Fact]
    public async Task A_walk_over_years_of_empty_days_is_split_into_pages_and_still_finds_every_capture()
    {
        var store = NewStore();
        var seeded = await CaptureSeeder.SeedAsync(store, DateTimeOffset.UtcNow, 6, perDay: 3);
        var search = Search(store);
        // A label filter is not in the index, so the search lists day folders: 1,000 of them, nearly all empty.
        var filter = new CaptureFilter { Since = DateTimeOffset.UtcNow.AddDays(-1000), Labels = new Dictionary<string, string> { ["env"] = "prod" } };

        var first = await search.SearchAsync(filter, 50, null, defaultDays: 30, CancellationToken.None);
        var all = await AllAsync(search, filter, limit: 50);

        Assert.NotNull(first.NextCursor);
        Assert.Equal(seeded.Where(m => m.Alert.Labels["env"] == "prod").NewestFirst().Select(m => m.Id), all);
        Assert.NotEmpty(all);
    }

    [Fact]
    public async Task Tags_follow_the_last_write_when_many_writers_update_manifests_at_once()
    {
        var store = NewStore();
        var seeded = await CaptureSeeder.SeedAsync(store, DateTimeOffset.UtcNow, 10, perDay: 10);
        var statuses = new[] { CaptureStatus.Pending, CaptureStatus.Running, CaptureStatus.Complete, CaptureStatus.Failed };

        await Parallel.ForEachAsync(Enumerable.Range(0, 8), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (writer, token) =>
        {
            var manifests = new ManifestStore(store);
            var random = new Random(writer);
            for (var i = 0; i < 12; i++)
            {
                var target = seeded[random.Next(seeded.Count)];
                var status = statuses[random.Next(statuses.Length)];
                await manifests.UpdateAsync(target.Id, m => m with { Status = status, UpdatedAt = DateTimeOffset.UtcNow }, token);
            }
        });

        var final = new List<CaptureManifest>();
        foreach (var capture in seeded)
        {
            final.Add((await new ManifestStore(store).ReadAsync(capture.Id, CancellationToken.None))!);
            var tags = await ((ITaggedStore)store).GetTagsAsync(CaptureIds.ManifestKey(capture.Id), CancellationToken.None);
            Assert.Equal(CaptureTags.StatusName(final[^1].Status), tags![CaptureTags.Status]);
        }

        foreach (var status in statuses.Append(CaptureStatus.Skipped))
        {
            var found = await AllAsync(Search(store), new CaptureFilter { Status = status });
            Assert.Equal(final.Where(m => m.Status == status).NewestFirst().Select(m => m.Id), found);
        }
    }

    [Fact]
    public void Tag_values_are_normalised_to_what_blob_index_tags_accept()
    {
        var value = CaptureTags.Normalize("Checkout (EU) — p99 > 2s / pod#7" + new string('x', 400));

        Assert.StartsWith("checkout _eu_ _ p99 _ 2s / pod_7", value, StringComparison.Ordinal);
        Assert.Equal(StoreAnnotations.MaxTagValueLength, value.Length);
        StoreAnnotations.EnsureValidTags(new Dictionary<string, string> { ["alert"] = value });
    }
}

public sealed class FolderCaptureIndexTests : CaptureIndexContractTests, IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "autocapture-index", Guid.NewGuid().ToString("N"));

    protected override IArtifactStore NewStore() => new FolderStore(_root);

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}

[Collection(Azurite.CollectionName)]
public sealed class AzuriteCaptureIndexTests(Azurite azurite) : CaptureIndexContractTests
{
    private readonly string _container = Azurite.NewContainerName();

    protected override IArtifactStore NewStore() => azurite.NewStore(_container);
}
