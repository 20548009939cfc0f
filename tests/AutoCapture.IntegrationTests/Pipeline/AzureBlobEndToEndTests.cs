using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.Core.Storage.Blob;
using AutoCapture.IntegrationTests.Dotnet;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Pipeline;

/// <summary>
/// The whole path on Azure Blob Storage (Azurite): the webhook app keeps manifests and state in the state
/// container with the account key; the collector holds no store credential at all and uploads with the
/// create-only grant its signed request carries; chat links are read-only SAS URLs straight to each blob; and
/// neither process logs the grant, even at Verbose.
/// </summary>
[Collection(DotnetTargetsCollection.Name)]
public sealed class AzureBlobEndToEndTests : IAsyncLifetime
{
    private readonly TestEnvironment _env = new();
    private readonly string _container = Azurite.NewContainerName();
    private Process? _azurite;
    private Uri _serviceUri = null!;
    private FakeSlack _slack = null!;

    private string ConnectionString => BlobClients.DevelopmentConnectionString(_serviceUri);

    public async Task InitializeAsync()
    {
        _azurite = AzuriteProcess.Start(RepositoryPaths.NodePackage("azurite"), []);
        _serviceUri = new Uri($"http://127.0.0.1:{await AzuriteProcess.WaitForPortAsync(_azurite)}/{BlobClients.DevelopmentAccount}");
        _slack = await FakeSlack.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _env.DisposeAsync();
        await _slack.DisposeAsync();
        AzuriteProcess.Stop(_azurite);
    }

    [Fact]
    public async Task A_capture_lands_in_blob_storage_uploaded_with_only_its_grant_and_chat_links_read_it()
    {
        var owner = ArtifactStores.Create(new StoreOptions { Kind = StoreBackend.AzureBlob, ConnectionString = ConnectionString, Container = _container });
        var logs = Directory.CreateTempSubdirectory("autocapture-grant-logs-").FullName;
        var collectorSettings = TestEnvironment.VerboseLogTo(Path.Combine(logs, "collector.log"));
        collectorSettings["AutoCapture:Collector:AllowedProcesses:0:CommandLine"] = "tag-allowed-";
        // No ConnectionString, Sas or AccountUrl: the grant in each request is all this collector has.
        collectorSettings["AutoCapture:Store:Kind"] = "azureblob";
        collectorSettings["AutoCapture:Store:Container"] = _container;
        var collector = await _env.StartCollectorAsync(collectorSettings);
        var webhookSettings = TestEnvironment.VerboseLogTo(Path.Combine(logs, "webhook.log"));
        webhookSettings["AutoCapture:Store:Kind"] = "azureblob";
        webhookSettings["AutoCapture:Store:ConnectionString"] = ConnectionString;
        webhookSettings["AutoCapture:Store:Container"] = _container;
        webhookSettings["AutoCapture:Chat:Slack:WebhookUrl"] = _slack.WebhookUrl;
        var webhook = await _env.StartWebhookAsync(
            $$$"""
            rules:
              - name: blob
                match: [ 'alertname = "HighCPU"' ]
                target:
                  collector: "{{{collector.Url}}}"
                  process: { commandLine: "{{ labels.tag }}" }
                chat: slack
                captures: [ stacks ]
            """,
            webhookSettings);
        using var target = await TestTargetProcess.StartAsync("idle", $"tag-allowed-{Guid.NewGuid():N}");

        using var response = await _env.PostAlertAsync(webhook.Url, Alerts.Payload(Alerts.Firing("HighCPU", ("instance", "web-3:9100"), ("tag", target.Tag))));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("alerts")[0].GetProperty("captures")[0].GetProperty("captureId").GetString()!;
        var manifest = await WaitForOutcomeAsync(new ManifestStore(owner), id);

        Assert.True(manifest.Status == CaptureStatus.Complete, $"{manifest.Status}: {manifest.Error}");
        Assert.False(Directory.Exists(_env.StorePath), "nothing may be written to the folder store when the blob store is configured");
        foreach (var artifact in manifest.Artifacts)
        {
            var stored = await owner.OpenReadAsync(CaptureIds.ArtifactKey(id, artifact.Name), CancellationToken.None);
            await using var content = stored!.Content;
            Assert.Equal(artifact.Sha256, Convert.ToHexStringLower(await SHA256.HashDataAsync(content)));
        }

        var message = Assert.Single(_slack.Accepted);
        var urls = message["blocks"]!.AsArray().SelectMany(b => b!["elements"]?.AsArray() ?? []).Select(e => (string?)e!["url"]).OfType<string>().ToList();
        Assert.Contains(urls, u => u.StartsWith($"{webhook.Url}/api/captures/{id}?token=", StringComparison.Ordinal));
        var stacksLink = urls.Single(u => u.Contains("/stacks.txt?", StringComparison.Ordinal));
        Assert.StartsWith($"{_serviceUri}/{_container}-artifacts/{CaptureIds.ArtifactKey(id, "stacks.txt")}?", stacksLink, StringComparison.Ordinal);
        Assert.Contains("sp=r&", stacksLink, StringComparison.Ordinal);
        using var download = await _env.Http.GetAsync(stacksLink);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(manifest.Artifacts.Single(a => a.Name == "stacks.txt").Sha256, Convert.ToHexStringLower(SHA256.HashData(await download.Content.ReadAsByteArrayAsync())));

        await collector.App.StopAsync();
        await webhook.App.StopAsync();
        // A grant is a container SAS with create permission only: "sr=c&sp=c&sig=…".
        foreach (var log in Directory.GetFiles(logs))
        {
            var text = await File.ReadAllTextAsync(log);
            Assert.Contains(id, text, StringComparison.Ordinal);
            Assert.DoesNotContain("sp=c&sig=", text, StringComparison.Ordinal);
        }
    }

    private static async Task<CaptureManifest> WaitForOutcomeAsync(ManifestStore manifests, string id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        CaptureManifest? manifest = null;
        while (DateTime.UtcNow < deadline)
        {
            manifest = await manifests.ReadAsync(id, CancellationToken.None);
            if (manifest is { } m && m.Status.IsTerminal() && (m.NotifiedAt is not null || m.NotifyError is not null))
            {
                return m;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"capture {id} did not finish; last status {manifest?.Status}");
    }
}
