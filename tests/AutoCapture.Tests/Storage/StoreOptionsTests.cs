using AutoCapture.Core.Storage;
using Microsoft.Extensions.Configuration;

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

    [Fact]
    public void A_blob_store_without_a_way_in_names_the_settings_to_fix()
    {
        var problems = new StoreOptions { Kind = StoreBackend.AzureBlob }.Validate();

        Assert.Contains(problems, p => p.Contains("needs exactly one of ConnectionString", StringComparison.Ordinal));
    }

    [Fact]
    public void A_collector_may_hold_no_blob_credential_and_write_with_upload_grants_only()
    {
        var options = new StoreOptions { Kind = StoreBackend.AzureBlob };

        Assert.Empty(options.Validate(credentialOptional: true));
        Assert.Contains("upload grants only", options.Describe(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("azureblob", StoreBackend.AzureBlob)]
    [InlineData("AzureBlob", StoreBackend.AzureBlob)]
    [InlineData("FOLDER", StoreBackend.Folder)]
    public void The_kind_binds_from_settings_whatever_its_case(string setting, StoreBackend expected)
    {
        var options = Bind(new() { ["AutoCapture:Store:Kind"] = setting, ["AutoCapture:Store:Credential"] = "managedidentity" });

        Assert.Equal(expected, options.Kind);
        Assert.Equal(StoreCredential.ManagedIdentity, options.Credential);
    }

    [Fact]
    public void A_kind_that_is_not_a_store_is_refused_naming_the_setting()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Bind(new() { ["AutoCapture:Store:Kind"] = "s3" }));

        Assert.Contains("AutoCapture:Store:Kind", error.Message, StringComparison.Ordinal);
    }

    private static StoreOptions Bind(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(StoreOptions.Section).Get<StoreOptions>()!;

    [Fact]
    public void The_artifacts_container_defaults_next_to_the_state_container_and_must_differ_from_it()
    {
        var options = new StoreOptions { Kind = StoreBackend.AzureBlob, ConnectionString = "UseDevelopmentStorage=true", Container = "captures" };

        Assert.Equal("captures-artifacts", options.ArtifactsContainerName);
        Assert.Empty(options.Validate());
        options.ArtifactsContainer = "captures";
        Assert.Contains(options.Validate(), p => p.Contains("AutoCapture:Store:ArtifactsContainer must differ", StringComparison.Ordinal));
        options.ArtifactsContainer = "Bad_Name";
        Assert.Contains(options.Validate(), p => p.Contains("AutoCapture:Store:ArtifactsContainer 'Bad_Name' is not a valid container name", StringComparison.Ordinal));
    }

    [Fact]
    public void Two_ways_in_at_once_are_refused()
    {
        var options = new StoreOptions { Kind = StoreBackend.AzureBlob, ConnectionString = "UseDevelopmentStorage=true", AccountUrl = "https://a.blob.core.windows.net" };

        Assert.Contains(options.Validate(), p => p.Contains("exactly one", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("AccountName=a;AccountKey=not base64!")]
    [InlineData("AccountName=a")]
    [InlineData("garbage")]
    [InlineData("AccountKey=" + Key)]
    public void Bad_connection_strings_are_explained_without_repeating_them(string connectionString)
    {
        var problem = Assert.Single(new StoreOptions { Kind = StoreBackend.AzureBlob, ConnectionString = connectionString }.Validate());

        Assert.StartsWith("AutoCapture:Store:ConnectionString is not an Azure Storage connection string", problem, StringComparison.Ordinal);
        Assert.DoesNotContain(connectionString, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("Upper")]
    [InlineData("double--dash")]
    [InlineData("-leading")]
    public void Invalid_container_names_are_refused(string container)
    {
        var options = new StoreOptions { Kind = StoreBackend.AzureBlob, ConnectionString = "UseDevelopmentStorage=true", Container = container };

        Assert.Contains(options.Validate(), p => p.Contains("not a valid container name", StringComparison.Ordinal));
    }

    [Fact]
    public void Descriptions_never_contain_keys_or_sas_tokens()
    {
        var withKey = new StoreOptions { Kind = StoreBackend.AzureBlob, ConnectionString = $"AccountName=acct;AccountKey={Key}" };
        var withSas = new StoreOptions { Kind = StoreBackend.AzureBlob, ServiceUri = "https://acct.blob.core.windows.net", Sas = "sv=2020-12-06&sp=cw&sig=SECRETSIG" };
        var withEntra = new StoreOptions { Kind = StoreBackend.AzureBlob, AccountUrl = "https://acct.blob.core.windows.net", Credential = StoreCredential.ManagedIdentity };

        Assert.Empty(withKey.Validate());
        Assert.Empty(withSas.Validate());
        Assert.Empty(withEntra.Validate());
        Assert.DoesNotContain(Key, withKey.Describe(), StringComparison.Ordinal);
        Assert.DoesNotContain("SECRETSIG", withSas.Describe(), StringComparison.Ordinal);
        Assert.Contains("ManagedIdentity", withEntra.Describe(), StringComparison.Ordinal);
    }
}
