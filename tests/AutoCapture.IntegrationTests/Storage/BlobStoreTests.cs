using System.Net;
using System.Security.Cryptography;
using System.Text;
using AutoCapture.Core.Storage;
using AutoCapture.Core.Storage.Blob;
using AutoCapture.IntegrationTests.Support;
using Azure.Storage.Blobs;
using Azure.Storage.Sas;

namespace AutoCapture.IntegrationTests.Storage;

/// <summary>What only the blob backend has: credentials that fail clearly, least-privilege SAS, and read links.</summary>
[Collection(Azurite.CollectionName)]
public sealed class BlobStoreTests(Azurite azurite)
{
    private static MemoryStream Text(string text) => new(Encoding.UTF8.GetBytes(text));

    private async Task<BlobStore> SeededStoreAsync(string container)
    {
        var store = azurite.NewStore(container);
        await store.WriteAsync("captures/seed", Text("seed"), WriteCondition.None, CancellationToken.None);
        return store;
    }

    /// <summary>A store given only an account SAS (both containers), as an operator might configure one.</summary>
    private BlobStore SasStore(string container, AccountSasPermissions permissions, DateTimeOffset expires)
    {
        var sas = new BlobServiceClient(azurite.ConnectionString).GenerateAccountSasUri(permissions, expires, AccountSasResourceTypes.All).Query;
        var options = azurite.Options(container);
        options.ConnectionString = null;
        options.ServiceUri = azurite.ServiceUri.ToString();
        options.Sas = sas;
        return Assert.IsType<BlobStore>(ArtifactStores.Create(options));
    }

    [Fact]
    public async Task A_wrong_account_key_fails_with_a_clear_error_not_a_hang()
    {
        var container = Azurite.NewContainerName();
        await SeededStoreAsync(container);
        var wrongKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(64));
        var options = azurite.Options(container);
        options.ConnectionString = $"AccountName={BlobClients.DevelopmentAccount};AccountKey={wrongKey};BlobEndpoint={azurite.ServiceUri}";
        var store = ArtifactStores.Create(options);

        var error = await Assert.ThrowsAsync<StoreException>(() => store.OpenReadAsync("captures/seed", CancellationToken.None));

        Assert.Contains("403", error.Message, StringComparison.Ordinal);
        Assert.Contains("account key was refused", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrongKey, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_sas_fails_with_a_clear_error_that_does_not_repeat_it()
    {
        var container = Azurite.NewContainerName();
        await SeededStoreAsync(container);
        var store = SasStore(container, AccountSasPermissions.All, DateTimeOffset.UtcNow.AddMinutes(-10));

        var error = await Assert.ThrowsAsync<StoreException>(() => store.WriteAsync("captures/late", Text("x"), WriteCondition.None, CancellationToken.None));

        Assert.Contains("403", error.Message, StringComparison.Ordinal);
        Assert.Contains("SAS", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sig=", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_endpoint_fails_after_bounded_retries()
    {
        // A port nobody listens on: connection refused, retried, then a StoreException naming the cause.
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var options = azurite.Options();
        options.MaxAttempts = 2;
        options.ConnectionString = BlobClients.DevelopmentConnectionString(new Uri($"http://127.0.0.1:{port}/{BlobClients.DevelopmentAccount}"));
        var store = ArtifactStores.Create(options);

        var error = await Assert.ThrowsAsync<StoreException>(() => store.OpenReadAsync("captures/x", CancellationToken.None));

        Assert.Contains("could not be reached", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_container_is_created_on_first_write()
    {
        var store = azurite.NewStore();

        Assert.Empty(await store.ListAsync("", CancellationToken.None).ToListAsync());
        Assert.True((await store.WriteAsync("captures/first", Text("1"), WriteCondition.IfAbsent, CancellationToken.None)).Written);
        Assert.Single(await store.ListAsync("", CancellationToken.None).ToListAsync());
    }

    [Fact]
    public async Task Read_links_open_exactly_one_blob_read_only_until_they_expire()
    {
        var container = Azurite.NewContainerName();
        var store = await SeededStoreAsync(container);
        await store.WriteAsync("captures/a/cpu.speedscope.json", Text("{\"a\":1}"), WriteCondition.None, CancellationToken.None);
        using var http = new HttpClient();

        Assert.True(store.CanCreateReadLinks);
        await store.PrepareReadLinksAsync(CancellationToken.None);
        var link = store.TryCreateReadLink("captures/a/cpu.speedscope.json", TimeSpan.FromMinutes(10), "application/json", "cpu.speedscope.json")!;
        using var ok = await http.GetAsync(link);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("{\"a\":1}", await ok.Content.ReadAsStringAsync());
        Assert.Equal("application/json", ok.Content.Headers.ContentType?.MediaType);
        Assert.Contains("cpu.speedscope.json", ok.Content.Headers.ContentDisposition?.ToString() ?? "", StringComparison.Ordinal);

        // The same signature does not open a neighbour, and does not allow writing.
        using var other = await http.GetAsync(new Uri(link.AbsoluteUri.Replace("cpu.speedscope.json?", "seed?", StringComparison.Ordinal).Replace("/a/seed", "/seed", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        using var put = new HttpRequestMessage(HttpMethod.Put, link) { Content = new StringContent("x") };
        put.Headers.Add("x-ms-blob-type", "BlockBlob");
        using var write = await http.SendAsync(put);
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);

        var expired = store.TryCreateReadLink("captures/a/cpu.speedscope.json", TimeSpan.FromMinutes(-10), null, null)!;
        using var late = await http.GetAsync(expired);
        Assert.Equal(HttpStatusCode.Forbidden, late.StatusCode);
    }

    [Fact]
    public async Task A_store_given_only_a_sas_cannot_sign_links()
    {
        var store = SasStore(Azurite.NewContainerName(), AccountSasPermissions.Read, DateTimeOffset.UtcNow.AddHours(1));

        await store.PrepareReadLinksAsync(CancellationToken.None);
        Assert.False(store.CanCreateReadLinks);
        Assert.Null(store.TryCreateReadLink("captures/x", TimeSpan.FromMinutes(1), null, null));
        Assert.False(store.CanCreateUploadGrants);
        Assert.Null(store.TryCreateUploadGrant(TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task The_store_factory_builds_a_blob_store_from_settings_and_describes_it_without_secrets()
    {
        var options = azurite.Options();
        var store = Assert.IsType<BlobStore>(ArtifactStores.Create(options));

        Assert.True((await store.WriteAsync("state/x", Text("1"), WriteCondition.IfAbsent, CancellationToken.None)).Written);
        Assert.DoesNotContain(BlobClients.DevelopmentKey, store.Description, StringComparison.Ordinal);
        Assert.DoesNotContain(BlobClients.DevelopmentKey, options.Describe(), StringComparison.Ordinal);
        Assert.Contains(options.Container, store.Description, StringComparison.Ordinal);
        Assert.Contains(options.ArtifactsContainerName, store.Description, StringComparison.Ordinal);
    }
}
