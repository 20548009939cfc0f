using System.Security.Cryptography;
using System.Text;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.Core.Storage.Blob;
using AutoCapture.IntegrationTests.Support;
using AutoCapture.Tests;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace AutoCapture.IntegrationTests.Storage;

/// <summary>
/// The per-capture upload grant a collector gets instead of a standing credential: a create-only SAS for the
/// artifacts container. Each refusal is checked with the SDK's own clients as a compromised collector would
/// use the grant (no conditional headers, any container), so it is the service that refuses, not our code.
/// </summary>
[Collection(Azurite.CollectionName)]
public sealed class UploadGrantTests(Azurite azurite)
{
    private const string CaptureId = "20261206-0123456789abcdef";
    private static readonly string Artifact = CaptureIds.ArtifactKey(CaptureId, "stacks.txt");
    private static readonly string Manifest = CaptureIds.ManifestKey(CaptureId);

    private static MemoryStream Text(string text) => new(Encoding.UTF8.GetBytes(text));

    private async Task<(BlobStore Owner, StoreOptions Options, Uri Grant)> OwnerWithManifestAsync()
    {
        var options = azurite.Options();
        var owner = azurite.NewStore(options: options);
        Assert.True((await owner.WriteAsync(Manifest, Text("{\"status\":\"pending\"}"), WriteCondition.IfAbsent, CancellationToken.None)).Written);
        Assert.True(owner.CanCreateUploadGrants);
        return (owner, options, owner.TryCreateUploadGrant(TimeSpan.FromMinutes(10))!);
    }

    private static BlobClient Blob(Uri grant, string container, string key) =>
        new BlobContainerClient(new BlobUriBuilder(grant) { BlobContainerName = container }.ToUri(), BlobClients.ClientOptions(new StoreOptions { MaxAttempts = 1 })).GetBlobClient(key);

    [Fact]
    public async Task A_grant_uploads_the_captures_artifacts_which_the_app_reads_back()
    {
        var (owner, options, grant) = await OwnerWithManifestAsync();
        var collector = BlobStore.ForUploadGrant(grant, options);
        var data = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 7);

        Assert.True((await collector.WriteAsync(Artifact, new MemoryStream(data), WriteCondition.IfAbsent, CancellationToken.None)).Written);
        Assert.True((await collector.WriteAsync(CaptureIds.ResultKey(CaptureId), Text("{}"), WriteCondition.None, CancellationToken.None)).Written);

        await using var stored = await owner.OpenReadAsync(Artifact, CancellationToken.None);
        var copy = new MemoryStream();
        await stored!.Content.CopyToAsync(copy);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(copy.ToArray()));
        Assert.Contains("sp=c&", grant.Query, StringComparison.Ordinal);
        Assert.Contains("sr=c&", grant.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_grant_cannot_overwrite_an_artifact_even_without_a_write_condition()
    {
        var (owner, options, grant) = await OwnerWithManifestAsync();
        Assert.True((await BlobStore.ForUploadGrant(grant, options).WriteAsync(Artifact, Text("verified"), WriteCondition.IfAbsent, CancellationToken.None)).Written);

        var refused = await Assert.ThrowsAsync<RequestFailedException>(() => Blob(grant, options.ArtifactsContainerName, Artifact).UploadAsync(Text("replaced"), overwrite: true));

        Assert.Equal(403, refused.Status);
        await using var stored = await owner.OpenReadAsync(Artifact, CancellationToken.None);
        Assert.Equal("verified", await new StreamReader(stored!.Content).ReadToEndAsync());
    }

    [Fact]
    public async Task A_grant_reaches_nothing_in_the_state_container_and_reads_nothing_anywhere()
    {
        var (_, options, grant) = await OwnerWithManifestAsync();
        var collector = BlobStore.ForUploadGrant(grant, options);
        Assert.True((await collector.WriteAsync(Artifact, Text("mine"), WriteCondition.IfAbsent, CancellationToken.None)).Written);

        // Through the store (manifests route to the state container) and straight at the service.
        var viaStore = await Assert.ThrowsAsync<StoreException>(() => collector.WriteAsync(Manifest, Text("{\"status\":\"complete\"}"), WriteCondition.None, CancellationToken.None));
        Assert.Contains("403", viaStore.Message, StringComparison.Ordinal);
        var limit = Blob(grant, options.Container, "state/limits/rule-budget.json");
        Assert.Equal(403, (await Assert.ThrowsAsync<RequestFailedException>(() => limit.UploadAsync(Text("{}")))).Status);
        var manifest = Blob(grant, options.Container, Manifest);
        Assert.Equal(403, (await Assert.ThrowsAsync<RequestFailedException>(() => manifest.DownloadContentAsync())).Status);
        Assert.Equal(403, (await Assert.ThrowsAsync<RequestFailedException>(() => manifest.DeleteAsync())).Status);
        var own = Blob(grant, options.ArtifactsContainerName, Artifact);
        Assert.Equal(403, (await Assert.ThrowsAsync<RequestFailedException>(() => own.DownloadContentAsync())).Status);
        Assert.Equal(403, (await Assert.ThrowsAsync<RequestFailedException>(() => own.DeleteAsync())).Status);
        var listing = new BlobContainerClient(grant).GetBlobsAsync(BlobTraits.None, BlobStates.None, null, CancellationToken.None);
        Assert.Equal(403, (await Assert.ThrowsAsync<RequestFailedException>(async () => await listing.ToListAsync())).Status);
    }

    [Fact]
    public async Task An_expired_grant_is_refused()
    {
        var options = azurite.Options();
        var clock = new ManualClock(DateTimeOffset.UtcNow.AddHours(-2));
        var owner = azurite.NewStore(options: options, clock: clock);
        await owner.WriteAsync(Manifest, Text("{}"), WriteCondition.IfAbsent, CancellationToken.None);
        // Minted two hours ago for the capture's ten minutes.
        var grant = owner.TryCreateUploadGrant(TimeSpan.FromMinutes(10))!;

        var refused = await Assert.ThrowsAsync<StoreException>(() => BlobStore.ForUploadGrant(grant, options).WriteAsync(Artifact, Text("late"), WriteCondition.IfAbsent, CancellationToken.None));

        Assert.Contains("403", refused.Message, StringComparison.Ordinal);
        Assert.Contains("SAS was refused", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sig=", refused.Message, StringComparison.Ordinal);
        Assert.Null(await owner.OpenReadAsync(Artifact, CancellationToken.None));
    }

    [Fact]
    public void A_capture_request_never_prints_its_grant()
    {
        var grant = new Uri("https://acct.blob.core.windows.net/autocapture-artifacts?sv=2025-11-05&sr=c&sp=c&sig=SECRETSIG");
        var request = new CaptureRequest(CaptureId, new ProcessSelector(Name: "checkout"), [new CaptureSpec(CaptureKinds.Stacks)], null, UploadGrant: grant);

        Assert.DoesNotContain("SECRETSIG", request.ToString(), StringComparison.Ordinal);
        Assert.Contains("UploadGrant = (secret)", request.ToString(), StringComparison.Ordinal);
    }
}
