using System.Security.Cryptography;
using System.Text;
using AutoCapture.Core.Storage;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Storage;

/// <summary>
/// What every store backend promises, run against each one (local folder, Azure Blob Storage on Azurite):
/// streaming round-trips, ranged reads, listing with paging, metadata, tags, and the concurrency contract that
/// dedup and rate limits depend on.
/// </summary>
public abstract class StoreContractTests
{
    /// <summary>Small enough that block uploads and paging happen with little data.</summary>
    protected const int SmallBlock = 64 * 1024;

    /// <summary>A store on shared backing: every call for the same test returns a new instance over the same data.</summary>
    protected abstract IArtifactStore NewStore(int listPageSize = 5000, bool smallBlocks = false);

    private static MemoryStream Text(string text) => new(Encoding.UTF8.GetBytes(text));

    private static async Task<byte[]> ReadAllAsync(StoreObject stored)
    {
        await using (stored)
        {
            var copy = new MemoryStream();
            await stored.Content.CopyToAsync(copy);
            return copy.ToArray();
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(SmallBlock - 1)]
    [InlineData(SmallBlock)]
    [InlineData(SmallBlock + 1)]
    [InlineData((3 * SmallBlock) + 5)]
    [InlineData(11 * SmallBlock)]
    public async Task Round_trips_content_of_every_size_around_the_block_boundaries(int size)
    {
        var store = NewStore(smallBlocks: true);
        var data = RandomNumberGenerator.GetBytes(size);

        var written = await store.WriteAsync("captures/sizes/blob.bin", new TrickleStream(data), WriteCondition.None, CancellationToken.None);

        Assert.True(written.Written);
        var stored = await store.OpenReadAsync("captures/sizes/blob.bin", CancellationToken.None);
        Assert.NotNull(stored);
        Assert.Equal(written.ETag, stored.ETag);
        Assert.Equal(size, stored.Size);
        Assert.Equal(data, await ReadAllAsync(stored));
    }

    [Fact]
    public async Task Streams_a_large_artifact_through_without_a_seekable_source()
    {
        var store = NewStore();
        const long size = 40L * 1024 * 1024 + 12345;
        var source = new PatternStream(size, seed: 7);

        var written = await store.WriteAsync("captures/big/cpu.nettrace", source, WriteCondition.None, CancellationToken.None);

        Assert.True(written.Written);
        var stored = await store.OpenReadAsync("captures/big/cpu.nettrace", CancellationToken.None);
        Assert.NotNull(stored);
        await using (stored)
        {
            Assert.Equal(size, stored.Size);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[81920];
            long total = 0;
            int read;
            while ((read = await stored.Content.ReadAsync(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                total += read;
            }

            Assert.Equal(size, total);
            Assert.Equal(PatternStream.Sha256(size, seed: 7), hash.GetHashAndReset());
        }
    }

    [Fact]
    public async Task Ranged_reads_return_exactly_the_asked_bytes()
    {
        var store = NewStore();
        var ranged = Assert.IsAssignableFrom<IRangedReads>(store);
        var data = RandomNumberGenerator.GetBytes(100_000);
        await store.WriteAsync("captures/r/data.bin", new MemoryStream(data), WriteCondition.None, CancellationToken.None);

        foreach (var (offset, length) in new (long, long?)[] { (0, 10), (5, 1), (99_990, null), (50_000, 50_000), (99_999, 100), (0, null), (1234, 0) })
        {
            var part = await ranged.OpenReadAsync("captures/r/data.bin", offset, length, CancellationToken.None);
            Assert.NotNull(part);
            var expected = data.AsSpan((int)offset, (int)Math.Min(length ?? long.MaxValue, data.Length - offset)).ToArray();
            Assert.Equal(expected.Length, part.Size);
            Assert.Equal(expected, await ReadAllAsync(part));
        }

        var past = await ranged.OpenReadAsync("captures/r/data.bin", 200_000, 10, CancellationToken.None);
        Assert.NotNull(past);
        Assert.Empty(await ReadAllAsync(past));
        Assert.Null(await ranged.OpenReadAsync("captures/r/absent.bin", 0, 10, CancellationToken.None));
    }

    [Fact]
    public async Task Missing_objects_read_as_null_and_delete_as_false()
    {
        var store = NewStore();

        Assert.Null(await store.OpenReadAsync("nothing/here", CancellationToken.None));
        Assert.False(await store.DeleteAsync("nothing/here", CancellationToken.None));
        Assert.Empty(await store.ListAsync("nothing/", CancellationToken.None).ToListAsync());
    }

    [Fact]
    public async Task Delete_removes_the_object()
    {
        var store = NewStore();
        await store.WriteAsync("state/d", Text("x"), WriteCondition.None, CancellationToken.None);

        Assert.True(await store.DeleteAsync("state/d", CancellationToken.None));
        Assert.Null(await store.OpenReadAsync("state/d", CancellationToken.None));
        Assert.False(await store.DeleteAsync("state/d", CancellationToken.None));
    }

    [Fact]
    public async Task Conditional_delete_removes_only_the_version_seen()
    {
        var store = NewStore();
        var conditional = Assert.IsAssignableFrom<IConditionalDelete>(store);
        var old = await store.WriteAsync("state/limits/c", Text("old"), WriteCondition.None, CancellationToken.None);
        var fresh = await store.WriteAsync("state/limits/c", Text("fresh"), WriteCondition.IfMatch(old.ETag!), CancellationToken.None);

        Assert.False(await conditional.DeleteIfMatchAsync("state/limits/c", old.ETag!, CancellationToken.None));
        var still = await store.OpenReadAsync("state/limits/c", CancellationToken.None);
        Assert.NotNull(still);
        await still.DisposeAsync();
        Assert.True(await conditional.DeleteIfMatchAsync("state/limits/c", fresh.ETag!, CancellationToken.None));
        Assert.Null(await store.OpenReadAsync("state/limits/c", CancellationToken.None));
        Assert.False(await conditional.DeleteIfMatchAsync("state/limits/c", fresh.ETag!, CancellationToken.None));
    }

    [Fact]
    public async Task Create_if_absent_and_compare_and_swap_hold_their_conditions()
    {
        var store = NewStore();

        var first = await store.WriteAsync("state/x", Text("1"), WriteCondition.IfAbsent, CancellationToken.None);
        var second = await store.WriteAsync("state/x", Text("2"), WriteCondition.IfAbsent, CancellationToken.None);
        Assert.True(first.Written);
        Assert.False(second.Written);
        Assert.Equal("1", Encoding.UTF8.GetString(await ReadAllAsync((await store.OpenReadAsync("state/x", CancellationToken.None))!)));

        var swapped = await store.WriteAsync("state/x", Text("3"), WriteCondition.IfMatch(first.ETag!), CancellationToken.None);
        var stale = await store.WriteAsync("state/x", Text("4"), WriteCondition.IfMatch(first.ETag!), CancellationToken.None);
        Assert.True(swapped.Written);
        Assert.False(stale.Written);
        Assert.NotEqual(first.ETag, swapped.ETag);
        Assert.Equal("3", Encoding.UTF8.GetString(await ReadAllAsync((await store.OpenReadAsync("state/x", CancellationToken.None))!)));
        Assert.False((await store.WriteAsync("state/absent", Text("5"), WriteCondition.IfMatch(first.ETag!), CancellationToken.None)).Written);
    }

    [Fact]
    public async Task Conditions_hold_for_block_uploads_too()
    {
        var store = NewStore(smallBlocks: true);
        var big = RandomNumberGenerator.GetBytes((4 * SmallBlock) + 3);

        var first = await store.WriteAsync("captures/c/a.bin", new MemoryStream(big), WriteCondition.IfAbsent, CancellationToken.None);
        var again = await store.WriteAsync("captures/c/a.bin", new MemoryStream(big), WriteCondition.IfAbsent, CancellationToken.None);
        var swap = await store.WriteAsync("captures/c/a.bin", new MemoryStream(big), WriteCondition.IfMatch(first.ETag!), CancellationToken.None);
        var stale = await store.WriteAsync("captures/c/a.bin", new MemoryStream(big), WriteCondition.IfMatch(first.ETag!), CancellationToken.None);

        Assert.True(first.Written);
        Assert.False(again.Written);
        Assert.True(swap.Written);
        Assert.False(stale.Written);
    }

    [Fact]
    public async Task Lists_by_prefix_in_key_order_across_pages()
    {
        var store = NewStore(listPageSize: 7);
        var keys = Enumerable.Range(0, 25).Select(i => $"captures/2026/11/21/{i:D3}/manifest.json").ToList();
        keys.Add("captures/2026/11/22/x/manifest.json");
        keys.Add("state/dedup/y");
        foreach (var key in keys.OrderBy(_ => Random.Shared.Next()))
        {
            await store.WriteAsync(key, Text(key), WriteCondition.None, CancellationToken.None);
        }

        var day = await store.ListAsync("captures/2026/11/21/", CancellationToken.None).ToListAsync();
        var partial = await store.ListAsync("captures/2026/11/2", CancellationToken.None).ToListAsync();
        var all = await store.ListAsync(string.Empty, CancellationToken.None).ToListAsync();

        Assert.Equal(keys.Take(25), day.Select(i => i.Key));
        Assert.Equal(26, partial.Count);
        Assert.Equal(keys.Order(StringComparer.Ordinal), all.Select(i => i.Key));
        var one = day[3];
        Assert.Equal(Encoding.UTF8.GetByteCount(one.Key), one.Size);
        var read = await store.OpenReadAsync(one.Key, CancellationToken.None);
        Assert.Equal(read!.ETag, one.ETag);
        await read.DisposeAsync();
    }

    [Fact]
    public async Task Metadata_is_kept_per_object()
    {
        var store = NewStore();
        var metadata = Assert.IsAssignableFrom<IObjectMetadata>(store);
        await store.WriteAsync("captures/m/a", Text("a"), WriteCondition.None, CancellationToken.None);

        Assert.Empty((await metadata.GetMetadataAsync("captures/m/a", CancellationToken.None))!);
        Assert.True(await metadata.SetMetadataAsync("captures/m/a", new Dictionary<string, string> { ["kind"] = "cpu", ["sha256"] = "abc123" }, CancellationToken.None));
        Assert.Equal(new Dictionary<string, string> { ["kind"] = "cpu", ["sha256"] = "abc123" }, await metadata.GetMetadataAsync("captures/m/a", CancellationToken.None));
        Assert.Null(await metadata.GetMetadataAsync("captures/m/absent", CancellationToken.None));
        Assert.False(await metadata.SetMetadataAsync("captures/m/absent", new Dictionary<string, string> { ["k"] = "v" }, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => metadata.SetMetadataAsync("captures/m/a", new Dictionary<string, string> { ["Bad-Name"] = "v" }, CancellationToken.None));
    }

    [Fact]
    public async Task Tags_are_kept_and_found_by_an_and_of_equalities()
    {
        var store = NewStore();
        var tagged = Assert.IsAssignableFrom<ITaggedStore>(store);
        foreach (var (key, service, status) in new[] { ("captures/t/1/manifest.json", "checkout", "complete"), ("captures/t/2/manifest.json", "checkout", "failed"), ("captures/t/3/manifest.json", "cart", "complete") })
        {
            await store.WriteAsync(key, Text(key), WriteCondition.None, CancellationToken.None);
            Assert.True(await tagged.SetTagsAsync(key, new Dictionary<string, string> { ["service"] = service, ["status"] = status, ["day"] = "2026-11-21" }, CancellationToken.None));
        }

        var before = (await store.OpenReadAsync("captures/t/1/manifest.json", CancellationToken.None))!;
        await before.DisposeAsync();
        Assert.True(await tagged.SetTagsAsync("captures/t/1/manifest.json", new Dictionary<string, string> { ["service"] = "checkout", ["status"] = "complete", ["day"] = "2026-11-21" }, CancellationToken.None));
        var after = (await store.OpenReadAsync("captures/t/1/manifest.json", CancellationToken.None))!;
        await after.DisposeAsync();

        Assert.Equal(before.ETag, after.ETag);
        Assert.Equal("failed", (await tagged.GetTagsAsync("captures/t/2/manifest.json", CancellationToken.None))!["status"]);
        Assert.Equal(
            ["captures/t/1/manifest.json", "captures/t/2/manifest.json"],
            (await tagged.FindByTagsAsync(new Dictionary<string, string> { ["service"] = "checkout" }, CancellationToken.None).ToListAsync()).Order(StringComparer.Ordinal));
        Assert.Equal(
            ["captures/t/1/manifest.json"],
            await tagged.FindByTagsAsync(new Dictionary<string, string> { ["service"] = "checkout", ["status"] = "complete" }, CancellationToken.None).ToListAsync());
        Assert.Empty(await tagged.FindByTagsAsync(new Dictionary<string, string> { ["service"] = "nothing" }, CancellationToken.None).ToListAsync());

        // Retagging moves an object between query results; deleting drops it.
        Assert.True(await tagged.SetTagsAsync("captures/t/2/manifest.json", new Dictionary<string, string> { ["service"] = "checkout", ["status"] = "complete" }, CancellationToken.None));
        Assert.True(await store.DeleteAsync("captures/t/1/manifest.json", CancellationToken.None));
        Assert.Equal(
            ["captures/t/2/manifest.json"],
            await tagged.FindByTagsAsync(new Dictionary<string, string> { ["service"] = "checkout", ["status"] = "complete" }, CancellationToken.None).ToListAsync());
        Assert.Null(await tagged.GetTagsAsync("captures/t/1/manifest.json", CancellationToken.None));
        Assert.False(await tagged.SetTagsAsync("captures/t/1/manifest.json", new Dictionary<string, string> { ["a"] = "b" }, CancellationToken.None));
    }

    [Fact]
    public async Task Invalid_tags_are_refused_before_anything_is_sent()
    {
        var store = NewStore();
        var tagged = Assert.IsAssignableFrom<ITaggedStore>(store);
        await store.WriteAsync("captures/t/x", Text("x"), WriteCondition.None, CancellationToken.None);

        var eleven = Enumerable.Range(0, 11).ToDictionary(i => $"t{i}", i => "v");
        await Assert.ThrowsAsync<ArgumentException>(() => tagged.SetTagsAsync("captures/t/x", eleven, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => tagged.SetTagsAsync("captures/t/x", new Dictionary<string, string> { ["quote'd"] = "v" }, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => tagged.SetTagsAsync("captures/t/x", new Dictionary<string, string> { ["k"] = new string('v', 257) }, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(async () => await tagged.FindByTagsAsync(new Dictionary<string, string>(), CancellationToken.None).ToListAsync());
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("/absolute")]
    [InlineData("a//b")]
    [InlineData(".locks/0")]
    [InlineData("a/b/")]
    [InlineData("a?b")]
    [InlineData("")]
    public async Task Keys_that_are_not_plain_paths_are_refused(string key)
    {
        var store = NewStore();
        await Assert.ThrowsAsync<ArgumentException>(() => store.WriteAsync(key, Text("x"), WriteCondition.None, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => store.OpenReadAsync(key, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => store.DeleteAsync(key, CancellationToken.None));
    }

    [Fact]
    public async Task Create_if_absent_has_exactly_one_winner_among_many_writers_and_stores()
    {
        var stores = Enumerable.Range(0, 4).Select(_ => NewStore()).ToArray();
        for (var round = 0; round < 10; round++)
        {
            var key = $"state/dedup/{round}";
            var results = await Task.WhenAll(Enumerable.Range(0, 24).Select(i =>
                Task.Run(() => stores[i % stores.Length].WriteAsync(key, Text($"writer {i}"), WriteCondition.IfAbsent, CancellationToken.None))));

            var winner = Assert.Single(results, r => r.Written);
            var stored = await stores[0].OpenReadAsync(key, CancellationToken.None);
            Assert.Equal(winner.ETag, stored!.ETag);
            await stored.DisposeAsync();
        }
    }

    [Fact]
    public async Task Compare_and_swap_never_loses_an_update()
    {
        var stores = Enumerable.Range(0, 4).Select(_ => NewStore()).ToArray();
        const int writers = 12;
        const int incrementsEach = 10;

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

    public sealed record Counter(int Value);
}
