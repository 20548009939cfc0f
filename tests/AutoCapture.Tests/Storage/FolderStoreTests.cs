using System.Security.Cryptography;
using System.Text;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;

namespace AutoCapture.Tests.Storage;

public sealed class FolderStoreTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "autocapture-store-tests", Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private FolderStore NewStore() => new(_root);

    private static MemoryStream Content(string text) => new(Encoding.UTF8.GetBytes(text));

    private static async Task<string> ReadTextAsync(IArtifactStore store, string key)
    {
        await using var stored = await store.OpenReadAsync(key, CancellationToken.None);
        Assert.NotNull(stored);
        using var reader = new StreamReader(stored.Content);
        return await reader.ReadToEndAsync();
    }

    [Fact]
    public async Task Writes_and_reads_back_streams()
    {
        var store = NewStore();
        var data = RandomNumberGenerator.GetBytes(5 * 1024 * 1024 + 17);

        var written = await store.WriteAsync("captures/a/big.bin", new MemoryStream(data), WriteCondition.None, CancellationToken.None);

        Assert.True(written.Written);
        await using var stored = await store.OpenReadAsync("captures/a/big.bin", CancellationToken.None);
        Assert.NotNull(stored);
        Assert.Equal(written.ETag, stored.ETag);
        Assert.Equal(data.Length, stored.Size);
        var copy = new MemoryStream();
        await stored.Content.CopyToAsync(copy);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(copy.ToArray()));
    }

    [Fact]
    public async Task Missing_objects_read_as_null_and_delete_as_false()
    {
        var store = NewStore();

        Assert.Null(await store.OpenReadAsync("nothing/here", CancellationToken.None));
        Assert.False(await store.DeleteAsync("nothing/here", CancellationToken.None));
    }

    [Fact]
    public async Task Create_if_absent_and_compare_and_swap_hold_their_conditions()
    {
        var store = NewStore();

        var first = await store.WriteAsync("state/x", Content("1"), WriteCondition.IfAbsent, CancellationToken.None);
        var second = await store.WriteAsync("state/x", Content("2"), WriteCondition.IfAbsent, CancellationToken.None);
        Assert.True(first.Written);
        Assert.False(second.Written);
        Assert.Equal("1", await ReadTextAsync(store, "state/x"));

        var swapped = await store.WriteAsync("state/x", Content("3"), WriteCondition.IfMatch(first.ETag!), CancellationToken.None);
        var stale = await store.WriteAsync("state/x", Content("4"), WriteCondition.IfMatch(first.ETag!), CancellationToken.None);
        Assert.True(swapped.Written);
        Assert.False(stale.Written);
        Assert.NotEqual(first.ETag, swapped.ETag);
        Assert.Equal("3", await ReadTextAsync(store, "state/x"));
        Assert.False((await store.WriteAsync("state/absent", Content("5"), WriteCondition.IfMatch(first.ETag!), CancellationToken.None)).Written);
    }

    [Fact]
    public async Task Same_size_rewrites_in_quick_succession_still_change_the_etag()
    {
        var store = NewStore();
        var etags = new HashSet<string>();
        for (var i = 0; i < 50; i++)
        {
            var result = await store.WriteAsync("state/fast", Content("same"), WriteCondition.None, CancellationToken.None);
            Assert.True(etags.Add(result.ETag!), $"etag repeated at write {i}");
        }
    }

    [Fact]
    public async Task Lists_by_prefix_in_key_order_and_skips_internal_files()
    {
        var store = NewStore();
        foreach (var key in new[] { "captures/2026/11/21/b/manifest.json", "captures/2026/11/21/a/manifest.json", "captures/2026/11/22/c/manifest.json", "state/dedup/x" })
        {
            await store.WriteAsync(key, Content(key), WriteCondition.None, CancellationToken.None);
        }

        var day = await store.ListAsync("captures/2026/11/21/", CancellationToken.None).ToListAsync();
        var partial = await store.ListAsync("captures/2026/11/2", CancellationToken.None).ToListAsync();
        var all = await store.ListAsync(string.Empty, CancellationToken.None).ToListAsync();

        Assert.Equal(["captures/2026/11/21/a/manifest.json", "captures/2026/11/21/b/manifest.json"], day.Select(i => i.Key));
        Assert.Equal(3, partial.Count);
        Assert.Equal(4, all.Count);
        Assert.All(all, i => Assert.DoesNotContain(".tmp", i.Key, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("/absolute")]
    [InlineData("a/../../b")]
    [InlineData("a//b")]
    [InlineData(".locks/0")]
    [InlineData("a/b/")]
    [InlineData("a\\b")]
    [InlineData("")]
    public async Task Keys_that_could_escape_the_folder_are_refused(string key)
    {
        var store = NewStore();
        await Assert.ThrowsAsync<ArgumentException>(() => store.WriteAsync(key, Content("x"), WriteCondition.None, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => store.OpenReadAsync(key, CancellationToken.None));
    }

    [Fact]
    public async Task Create_if_absent_has_exactly_one_winner_among_many_writers_and_stores()
    {
        // Separate store instances share only the folder, as separate processes would.
        var stores = Enumerable.Range(0, 4).Select(_ => NewStore()).ToArray();
        for (var round = 0; round < 20; round++)
        {
            var key = $"state/dedup/{round}";
            var results = await Task.WhenAll(Enumerable.Range(0, 32).Select(i =>
                Task.Run(() => stores[i % stores.Length].WriteAsync(key, Content($"writer {i}"), WriteCondition.IfAbsent, CancellationToken.None))));

            Assert.Single(results, r => r.Written);
        }
    }

    [Fact]
    public async Task Compare_and_swap_never_loses_an_update()
    {
        var stores = Enumerable.Range(0, 4).Select(_ => NewStore()).ToArray();
        const int writers = 16;
        const int incrementsEach = 25;

        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < incrementsEach; i++)
            {
                await stores[w % stores.Length].UpdateAsync<Counter>("state/counter", c => new Counter((c?.Value ?? 0) + 1), CancellationToken.None, maxAttempts: 1000);
            }
        })));

        var final = await stores[0].ReadAsync<Counter>("state/counter", CancellationToken.None);
        Assert.Equal(writers * incrementsEach, final!.Value.Value.Value);
    }

    [Fact]
    public async Task Manifests_round_trip_through_the_manifest_store()
    {
        var manifests = new ManifestStore(NewStore());
        var id = "20261121-0123456789abcdef";
        var manifest = new CaptureManifest
        {
            Id = id,
            Status = CaptureStatus.Pending,
            Alert = Rules.TemplateTests.Alert(),
            Rule = "r",
            Target = new CaptureTarget("http://c:7080", "web-3", new ProcessSelector(Name: "checkout")),
            Captures = [new CaptureSpec(CaptureKinds.Cpu, 30)],
            CreatedAt = DateTimeOffset.UnixEpoch,
        };
        await manifests.Store.WriteJsonAsync(CaptureIds.ManifestKey(id), manifest, WriteCondition.IfAbsent, CancellationToken.None);

        var running = await manifests.UpdateAsync(id, m => m with { Status = CaptureStatus.Running }, CancellationToken.None);
        var untouched = await manifests.UpdateAsync(id, _ => null, CancellationToken.None);
        var read = await manifests.ReadAsync(id, CancellationToken.None);

        Assert.Equal(CaptureStatus.Running, running!.Status);
        Assert.Null(untouched);
        Assert.Equal(CaptureStatus.Running, read!.Status);
        Assert.Equal("checkout", read.Target.Process.Name);
        Assert.Equal("web-3:9100", read.Alert.Labels["instance"]);
        Assert.Null(await manifests.UpdateAsync("20261121-ffffffffffffffff", m => m, CancellationToken.None));
    }

    public sealed record Counter(int Value);
}
