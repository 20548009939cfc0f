using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using AutoCapture.Core.Storage;
using AutoCapture.Core.Storage.Blob;
using AutoCapture.IntegrationTests.Support;
using Azure.Core;

namespace AutoCapture.IntegrationTests.Storage;

/// <summary>
/// Microsoft Entra ID against Azurite's OAuth mode (HTTPS with a test certificate; Azurite checks a token's
/// audience, issuer and lifetime, not its signature, since no Entra ID can run here): bearer-token requests, and
/// read links signed as user delegation SAS.
/// </summary>
public sealed class AzuriteEntraTests : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "autocapture-entra", Guid.NewGuid().ToString("N"));
    private X509Certificate2 _certificate = null!;
    private Process? _azurite;
    private Uri _accountUrl = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        await File.WriteAllTextAsync(Path.Combine(_folder, "cert.pem"), _certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(_folder, "key.pem"), key.ExportPkcs8PrivateKeyPem());
        _azurite = AzuriteProcess.Start(RepositoryPaths.NodePackage("azurite"), ["--oauth", "basic", "--cert", Path.Combine(_folder, "cert.pem"), "--key", Path.Combine(_folder, "key.pem")]);
        _accountUrl = new Uri($"https://127.0.0.1:{await AzuriteProcess.WaitForPortAsync(_azurite)}/{BlobClients.DevelopmentAccount}");
    }

    public Task DisposeAsync()
    {
        AzuriteProcess.Stop(_azurite);
        _certificate.Dispose();
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>Trusts exactly the test certificate, nothing else.</summary>
    private SocketsHttpHandler PinnedHandler() => new()
    {
        SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString() == _certificate.Thumbprint },
    };

    private BlobStore Store(TokenCredential credential, string container) =>
        Assert.IsType<BlobStore>(ArtifactStores.Create(
            new StoreOptions { Kind = StoreBackend.AzureBlob, AccountUrl = _accountUrl.ToString(), Container = container, MaxAttempts = 2 },
            PinnedHandler(),
            credential));

    [Fact]
    public async Task A_managed_identity_token_reads_writes_and_signs_user_delegation_links()
    {
        var credential = new TestEntraCredential(TimeSpan.FromHours(1));
        var store = Store(credential, Azurite.NewContainerName());
        var data = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);

        Assert.True((await store.WriteAsync("captures/e/cpu.nettrace", new MemoryStream(data), WriteCondition.IfAbsent, CancellationToken.None)).Written);
        Assert.True(await store.SetTagsAsync("captures/e/cpu.nettrace", new Dictionary<string, string> { ["kind"] = "cpu" }, CancellationToken.None));
        Assert.Equal(["captures/e/cpu.nettrace"], await store.FindByTagsAsync(new Dictionary<string, string> { ["kind"] = "cpu" }, CancellationToken.None).ToListAsync());
        Assert.Equal("https://storage.azure.com/.default", Assert.Single(credential.Scopes.Distinct()));

        Assert.Null(store.TryCreateReadLink("captures/e/cpu.nettrace", TimeSpan.FromDays(7), null, "cpu.nettrace"));
        await store.PrepareReadLinksAsync(CancellationToken.None);
        var link = store.TryCreateReadLink("captures/e/cpu.nettrace", TimeSpan.FromDays(7), "application/octet-stream", "cpu.nettrace");
        Assert.NotNull(link);
        Assert.Contains("skoid=", link.Query, StringComparison.Ordinal);
        Assert.Contains("sp=r&", link.Query, StringComparison.Ordinal);

        using var http = new HttpClient(PinnedHandler());
        using var download = await http.GetAsync(link);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(data, await download.Content.ReadAsByteArrayAsync());
        using var neighbour = await http.GetAsync(new Uri(link.AbsoluteUri.Replace("cpu.nettrace?", "other?", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.Forbidden, neighbour.StatusCode);

        // A collector's upload grant is a user delegation SAS too, create-only.
        var grant = store.TryCreateUploadGrant(TimeSpan.FromMinutes(10))!;
        Assert.Contains("skoid=", grant.Query, StringComparison.Ordinal);
        Assert.Contains("sp=c&", grant.Query, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, await PutAsync(http, grant, "captures/e/stacks.txt"));
        Assert.Equal(HttpStatusCode.Forbidden, await PutAsync(http, grant, "captures/e/stacks.txt"));
    }

    private static async Task<HttpStatusCode> PutAsync(HttpClient http, Uri grant, string key)
    {
        using var put = new HttpRequestMessage(HttpMethod.Put, new Uri($"{grant.GetLeftPart(UriPartial.Path)}/{key}{grant.Query}")) { Content = new ByteArrayContent([1, 2, 3]) };
        put.Headers.Add("x-ms-blob-type", "BlockBlob");
        put.Headers.Add("x-ms-version", "2025-11-05");
        using var response = await http.SendAsync(put);
        return response.StatusCode;
    }

    [Fact]
    public async Task An_expired_token_is_refused_with_a_clear_error()
    {
        var store = Store(new TestEntraCredential(TimeSpan.FromMinutes(-30)), Azurite.NewContainerName());

        var error = await Assert.ThrowsAsync<StoreException>(() => store.WriteAsync("state/x", new MemoryStream([1]), WriteCondition.None, CancellationToken.None));

        Assert.Contains("403", error.Message, StringComparison.Ordinal);
        Assert.Contains("Entra ID token", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_credential_that_cannot_get_a_token_fails_with_its_reason()
    {
        var store = Store(new UnavailableCredential(), Azurite.NewContainerName());

        var error = await Assert.ThrowsAsync<StoreException>(() => store.OpenReadAsync("state/x", CancellationToken.None));

        Assert.Contains("Could not get a Microsoft Entra ID token", error.Message, StringComparison.Ordinal);
        Assert.Contains("no managed identity endpoint", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Stands in for managed identity: a token shaped as Entra ID issues them for Azure Storage.</summary>
    private sealed class TestEntraCredential(TimeSpan lifetime) : TokenCredential
    {
        public List<string> Scopes { get; } = [];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            GetTokenAsync(requestContext, cancellationToken).AsTask().GetAwaiter().GetResult();

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            lock (Scopes)
            {
                Scopes.AddRange(requestContext.Scopes);
            }

            var now = DateTimeOffset.UtcNow;
            var expires = now + lifetime;
            var claims = new Dictionary<string, object>
            {
                ["aud"] = "https://storage.azure.com",
                ["iss"] = "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/",
                ["iat"] = (expires - TimeSpan.FromHours(2)).ToUnixTimeSeconds(),
                ["nbf"] = (expires - TimeSpan.FromHours(2)).ToUnixTimeSeconds(),
                ["exp"] = expires.ToUnixTimeSeconds(),
                ["oid"] = "11059fcc-5514-4800-b5f8-49808b9cfab6",
                ["tid"] = "72f988bf-86f1-41af-91ab-2d7cd011db47",
            };
            static string Part(object value) => Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(value)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            var token = $"{Part(new Dictionary<string, string> { ["alg"] = "RS256", ["typ"] = "JWT" })}.{Part(claims)}.{Part("unsigned")}";
            return ValueTask.FromResult(new AccessToken(token, expires));
        }
    }

    private sealed class UnavailableCredential : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            throw new Azure.Identity.CredentialUnavailableException("no managed identity endpoint on this machine");

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            throw new Azure.Identity.CredentialUnavailableException("no managed identity endpoint on this machine");
    }
}
