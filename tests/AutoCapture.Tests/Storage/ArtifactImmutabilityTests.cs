using System.Text;
using AutoCapture.Collector.Captures;
using AutoCapture.Collector.Runs;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;

namespace AutoCapture.Tests.Storage;

/// <summary>A capture's artifacts are written once: a repeated or replayed request for its id cannot replace them.</summary>
public sealed class ArtifactImmutabilityTests : IDisposable
{
    private const string CaptureId = "20261121-0123456789abcdef";
    private readonly string _folder = Directory.CreateTempSubdirectory("autocapture-immutable-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_second_run_of_the_same_capture_cannot_overwrite_an_artifact()
    {
        var store = new FolderStore(_folder);
        var first = await new StoreArtifactSink(store, CaptureId).WriteAsync("stacks.txt", CaptureKinds.Stacks, "text/plain", new MemoryStream("verified"u8.ToArray()), CancellationToken.None);

        var replayed = await Assert.ThrowsAsync<CaptureFailedException>(() =>
            new StoreArtifactSink(store, CaptureId).WriteAsync("stacks.txt", CaptureKinds.Stacks, "text/plain", new MemoryStream("forged"u8.ToArray()), CancellationToken.None));

        Assert.Equal($"artifact stacks.txt of capture {CaptureId} is already in the store; a capture's artifacts are written once (this request repeats a capture that ran)", replayed.Message);
        await using var stored = (await store.OpenReadAsync(CaptureIds.ArtifactKey(CaptureId, "stacks.txt"), CancellationToken.None))!;
        Assert.Equal("verified", await new StreamReader(stored.Content, Encoding.UTF8).ReadToEndAsync());
        Assert.Equal(8, first.Size);
    }
}
