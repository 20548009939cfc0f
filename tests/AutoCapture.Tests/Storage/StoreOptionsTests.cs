using AutoCapture.Core.Storage;
using AutoCapture.Core.Storage.Blob;

namespace AutoCapture.Tests.Storage;

public sealed class StoreOptionsTests
{
    private const string Key = "c2VjcmV0LWtleS1ieXRlcy1ub3QtcmVhbA==";

    [Fact]
    public void The_folder_store_is_the_default_and_valid()
    {
        var options = new StoreOptions();

        Assert.Empty(options.Validate());
        Assert.Equal("folder .autocapture/store", options.Describe());
    }

    [Theory]
    [InlineData("s3", "is not a store")]
    [InlineData("azureblob", "needs exactly one of ConnectionString")]
    public void Unusable_settings_name_the_setting_to_fix(string kind, string expected)
    {
        var problems = new StoreOptions { Kind = kind }.Validate();

        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Two_ways_in_at_once_are_refused()
    {
        var options = new StoreOptions { Kind = "azureblob", ConnectionString = "UseDevelopmentStorage=true", AccountUrl = "https://a.blob.core.windows.net" };

        Assert.Contains(options.Validate(), p => p.Contains("exactly one", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("AccountName=a;AccountKey=not base64!", "not base64")]
    [InlineData("AccountName=a", "needs AccountKey or SharedAccessSignature")]
    [InlineData("garbage", "is not a connection string")]
    [InlineData("AccountKey=" + Key, "needs BlobEndpoint or AccountName")]
    public void Bad_connection_strings_are_explained_without_repeating_them(string connectionString, string expected)
    {
        var problem = Assert.Single(new StoreOptions { Kind = "azureblob", ConnectionString = connectionString }.Validate());

        Assert.Contains(expected, problem, StringComparison.Ordinal);
        Assert.DoesNotContain(connectionString, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("Upper")]
    [InlineData("double--dash")]
    [InlineData("-leading")]
    public void Invalid_container_names_are_refused(string container)
    {
        var options = new StoreOptions { Kind = "azureblob", ConnectionString = "UseDevelopmentStorage=true", Container = container };

        Assert.Contains(options.Validate(), p => p.Contains("not a valid container name", StringComparison.Ordinal));
    }

    [Fact]
    public void Descriptions_never_contain_keys_or_sas_tokens()
    {
        var withKey = new StoreOptions { Kind = "azureblob", ConnectionString = $"AccountName=acct;AccountKey={Key}" };
        var withSas = new StoreOptions { Kind = "azureblob", ServiceUri = "https://acct.blob.core.windows.net", Sas = "sv=2020-12-06&sp=cw&sig=SECRETSIG" };
        var withEntra = new StoreOptions { Kind = "azureblob", AccountUrl = "https://acct.blob.core.windows.net", Credential = "managedidentity" };

        Assert.Empty(withKey.Validate());
        Assert.Empty(withSas.Validate());
        Assert.Empty(withEntra.Validate());
        Assert.DoesNotContain(Key, withKey.Describe(), StringComparison.Ordinal);
        Assert.DoesNotContain("SECRETSIG", withSas.Describe(), StringComparison.Ordinal);
        Assert.Contains("managedidentity", withEntra.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Connection_strings_resolve_endpoint_and_account()
    {
        var cloud = BlobConnection.Parse($"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={Key};EndpointSuffix=core.windows.net");
        var emulator = BlobConnection.Parse("UseDevelopmentStorage=true");
        var sas = BlobConnection.Parse("BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature=sv=2020-12-06&sig=x");

        Assert.Equal("https://acct.blob.core.windows.net/", cloud.ServiceUri.ToString());
        Assert.Equal("acct", cloud.AccountName);
        Assert.IsType<SharedKeyAuthorization>(cloud.Authorization);
        Assert.Equal("devstoreaccount1", emulator.AccountName);
        Assert.Equal("http://127.0.0.1:10000/devstoreaccount1", emulator.ServiceUri.ToString());
        Assert.Equal("acct", sas.AccountName);
        Assert.IsType<SasAuthorization>(sas.Authorization);
    }
}

/// <summary>Azure itself cannot run here: these check the requests the blob store would send to a cloud endpoint.</summary>
public sealed class BlobRequestShapeTests
{
    private sealed class Recorder : HttpMessageHandler
    {
        public List<HttpRequestMessage> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request);
            var response = new HttpResponseMessage(System.Net.HttpStatusCode.Created);
            response.Headers.ETag = new System.Net.Http.Headers.EntityTagHeaderValue("\"0x1\"");
            return Task.FromResult(response);
        }
    }

    [Fact]
    public async Task A_cloud_endpoint_gets_plain_blob_urls_and_a_shared_key_signature_over_the_canonical_request()
    {
        var recorder = new Recorder();
        var connection = BlobConnection.Parse("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c2VjcmV0LWtleS1ieXRlcy1ub3QtcmVhbA==");
        using var store = new BlobStore(connection, new StoreOptions { Kind = "azureblob", Container = "captures" }, recorder);

        await store.WriteAsync("state/x", new MemoryStream([1, 2, 3]), WriteCondition.IfAbsent, CancellationToken.None);

        var request = Assert.Single(recorder.Requests);
        Assert.Equal("https://acct.blob.core.windows.net/captures/state/x", request.RequestUri!.AbsoluteUri);
        Assert.Equal("*", request.Headers.GetValues("If-None-Match").Single());
        Assert.Equal("2025-01-05", request.Headers.GetValues("x-ms-version").Single());
        Assert.StartsWith("SharedKey acct:", request.Headers.GetValues("Authorization").Single(), StringComparison.Ordinal);
        var toSign = ((SharedKeyAuthorization)connection.Authorization).StringToSign(request);
        Assert.StartsWith("PUT\n\n\n3\n\n\n\n\n\n*\n\n\n", toSign, StringComparison.Ordinal);
        Assert.EndsWith("\n/acct/captures/state/x", toSign, StringComparison.Ordinal);
        Assert.Contains("x-ms-blob-type:BlockBlob\n", toSign, StringComparison.Ordinal);
    }

    [Fact]
    public void A_service_sas_is_read_only_for_one_blob_and_carries_its_expiry()
    {
        var key = (SharedKeyAuthorization)BlobConnection.Parse("AccountName=acct;AccountKey=c2VjcmV0LWtleS1ieXRlcy1ub3QtcmVhbA==").Authorization;
        var expires = new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

        var sas = BlobSas.CreateServiceSas(key, new SasGrant("captures", "captures/2026/a/cpu.nettrace", "r", expires));

        Assert.Contains("sr=b", sas, StringComparison.Ordinal);
        Assert.Contains("sp=r&", sas, StringComparison.Ordinal);
        Assert.Contains("se=2026-11-28T12%3A00%3A00Z", sas, StringComparison.Ordinal);
        Assert.Matches("sig=[A-Za-z0-9%]+$", sas);
    }
}
