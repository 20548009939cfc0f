using AutoCapture.Collector.Runs;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.Core.Storage.Blob;
using Microsoft.Extensions.Options;

namespace AutoCapture.Tests.Storage;

/// <summary>Which store a collector writes a capture with, and what it refuses up front.</summary>
public sealed class CaptureStoresTests
{
    private static readonly Uri Grant = new("https://acct.blob.core.windows.net/autocapture-artifacts?sv=2025-11-05&sr=c&sp=c&sig=x");

    private static CaptureRequest Request(Uri? grant) =>
        new("20261206-0123456789abcdef", new ProcessSelector(Name: "checkout"), [new CaptureSpec(CaptureKinds.Stacks)], null, UploadGrant: grant);

    private static CaptureStores Stores(StoreOptions options) => new(Options.Create(options));

    [Fact]
    public void A_collector_without_a_store_credential_refuses_a_request_without_a_grant_and_takes_one_with_it()
    {
        var stores = Stores(new StoreOptions { Kind = StoreBackend.AzureBlob });

        Assert.Contains("uploadGrant is required", stores.Problem(Request(null)), StringComparison.Ordinal);
        Assert.Null(stores.Problem(Request(Grant)));
        Assert.Contains("autocapture-artifacts", Assert.IsType<BlobStore>(stores.For(Request(Grant))).Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("file:///etc/passwd")]
    [InlineData("ftp://acct.blob.core.windows.net/c?sig=x")]
    public void A_grant_that_is_not_an_http_url_is_refused(string grant)
    {
        var problem = Stores(new StoreOptions { Kind = StoreBackend.AzureBlob }).Problem(Request(new Uri(grant)));

        Assert.Equal("uploadGrant must be an absolute http(s) URL", problem);
    }

    [Fact]
    public void The_folder_store_ignores_grants()
    {
        var stores = Stores(new StoreOptions { Path = Path.Combine(Path.GetTempPath(), "autocapture-grants", Guid.NewGuid().ToString("N")) });

        Assert.Null(stores.Problem(Request(Grant)));
        Assert.IsType<FolderStore>(stores.For(Request(Grant)));
    }
}
