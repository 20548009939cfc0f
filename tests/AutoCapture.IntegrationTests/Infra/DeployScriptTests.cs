using System.Diagnostics;
using AutoCapture.IntegrationTests.Support;
using YamlDotNet.RepresentationModel;

namespace AutoCapture.IntegrationTests.Infra;

/// <summary>
/// infra/deploy.sh run for real against a stand-in <c>az</c> (Azure cannot be reached here) that records each
/// call and answers the deployment's outputs: the script must upload the rules with Entra sign-in, deploy the
/// given package, and end with an Alertmanager receiver and an Azure Monitor URL filled in from the outputs.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DeployScriptTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"deploy-sh-{Guid.NewGuid():N}");
    private readonly string _functionKey = $"key-{Guid.NewGuid():N}";
    private readonly string _querySecret = $"secret-{Guid.NewGuid():N}";

    public DeployScriptTests() => Directory.CreateDirectory(Path.Combine(_root, "bin"));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Log => Path.Combine(_root, "az.log");

    private async Task<(int ExitCode, string Output, string Errors)> RunAsync(string functionKey)
    {
        // Outputs as main.bicep would return them; anything else az is asked succeeds silently.
        var az = Path.Combine(_root, "bin", "az");
        await File.WriteAllTextAsync(az, $$"""
            #!/usr/bin/env bash
            echo "$*" >> '{{Log}}'
            case "$*" in
              "ad signed-in-user show"*) echo 11111111-2222-3333-4444-555555555555 ;;
              *"functionapp keys list"*) echo '{{functionKey}}' ;;
              *"properties.outputs.functionAppName.value"*) echo autocap-abc ;;
              *"properties.outputs.storageAccountName.value"*) echo autocapabc ;;
              *"properties.outputs.blobEndpoint.value"*) echo https://autocapabc.blob.core.windows.net/ ;;
              *"properties.outputs.capturesContainer.value"*) echo autocapture ;;
              *"properties.outputs.artifactsContainer.value"*) echo autocapture-artifacts ;;
              *"properties.outputs.configContainer.value"*) echo config ;;
              *"properties.outputs.rulesBlob.value"*) echo rules.yaml ;;
              *"properties.outputs.collectorIdentityClientId.value"*) echo 99999999-0000-0000-0000-000000000000 ;;
              *"properties.outputs.collectorIdentityId.value"*) echo /subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/autocap-collector ;;
              *"properties.outputs.alertmanagerWebhookUrl.value"*) echo https://autocap-abc.azurewebsites.net/api/alerts/alertmanager ;;
              *"properties.outputs.azureMonitorWebhookUrl.value"*) echo https://autocap-abc.azurewebsites.net/api/alerts/azuremonitor ;;
              *"properties.outputs."*) echo "unknown output: $*" >&2; exit 3 ;;
            esac
            """.Replace("\r", string.Empty, StringComparison.Ordinal));
        File.SetUnixFileMode(az, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var package = Path.Combine(_root, "package.zip");
        await File.WriteAllTextAsync(package, "not built: the stand-in az never unpacks it");

        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RepositoryPaths.Root, "infra", "deploy.sh"));
        start.ArgumentList.Add("rg-test");
        start.ArgumentList.Add("westeurope");
        start.Environment["PATH"] = $"{Path.Combine(_root, "bin")}:{Environment.GetEnvironmentVariable("PATH")}";
        start.Environment["AUTOCAPTURE_PACKAGE"] = package;
        start.Environment["AUTOCAPTURE_AZURE_MONITOR_SECRET"] = _querySecret;
        foreach (var variable in new[] { "AUTOCAPTURE_ALERTMANAGER_TOKEN", "AUTOCAPTURE_READ_TOKEN", "AUTOCAPTURE_COLLECTOR_KEY", "AUTOCAPTURE_LINK_KEY" })
        {
            start.Environment[variable] = TestEnvironment.Secret();
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await errors);
    }

    [Fact]
    public async Task It_uploads_the_rules_deploys_the_package_and_prints_the_receiver_and_action_group_url_filled_in()
    {
        var (exitCode, output, errors) = await RunAsync(_functionKey);

        Assert.True(exitCode == 0, errors);
        var calls = await File.ReadAllLinesAsync(Log);
        Assert.Contains(calls, c => c.StartsWith("deployment group create --resource-group rg-test", StringComparison.Ordinal) && c.Contains("main.bicepparam", StringComparison.Ordinal));
        var upload = Assert.Single(calls, c => c.StartsWith("storage blob upload", StringComparison.Ordinal));
        Assert.Contains("--auth-mode login --account-name autocapabc --container-name config --name rules.yaml", upload, StringComparison.Ordinal);
        Assert.EndsWith(Path.Combine("infra", "azure", "rules.yaml") + " --overwrite --output none", upload, StringComparison.Ordinal);
        Assert.Contains(calls, c => c.Contains("config-zip", StringComparison.Ordinal) && c.Contains(Path.Combine(_root, "package.zip"), StringComparison.Ordinal));
        Assert.DoesNotContain(calls, c => c.Contains("generate-sas", StringComparison.Ordinal) || c.Contains("--auth-mode key", StringComparison.Ordinal));

        // The receiver block is YAML Alertmanager accepts, with the URL and function key in place.
        var yaml = output[output.IndexOf("receivers:", StringComparison.Ordinal)..];
        yaml = yaml[..yaml.IndexOf("\n\n", StringComparison.Ordinal)];
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var receiver = (YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)stream.Documents[0].RootNode)["receivers"]).Children.Single();
        var webhook = (YamlMappingNode)((YamlSequenceNode)receiver["webhook_configs"]).Children.Single();
        Assert.Equal($"https://autocap-abc.azurewebsites.net/api/alerts/alertmanager?code={_functionKey}", webhook["url"].ToString());
        Assert.Equal("Bearer", ((YamlMappingNode)((YamlMappingNode)webhook["http_config"])["authorization"])["type"].ToString());

        Assert.Contains($"  https://autocap-abc.azurewebsites.net/api/alerts/azuremonitor?code={_functionKey}&token={_querySecret}\n", output, StringComparison.Ordinal);
        Assert.Contains("AutoCapture__Store__ManagedIdentityClientId=99999999-0000-0000-0000-000000000000", output, StringComparison.Ordinal);
        Assert.Contains("AutoCapture__Store__ArtifactsContainer=autocapture-artifacts", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_function_key_yet_it_says_so_and_leaves_a_placeholder()
    {
        var (exitCode, output, errors) = await RunAsync(functionKey: string.Empty);

        Assert.True(exitCode == 0, errors);
        Assert.Contains("no function key yet", errors, StringComparison.Ordinal);
        Assert.Contains("/api/alerts/alertmanager?code=<function key>", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_secret_stops_it_before_anything_is_deployed()
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RepositoryPaths.Root, "infra", "deploy.sh"));
        start.ArgumentList.Add("rg-test");
        start.ArgumentList.Add("westeurope");
        start.Environment["PATH"] = $"{Path.Combine(_root, "bin")}:{Environment.GetEnvironmentVariable("PATH")}";
        foreach (var variable in start.Environment.Keys.Where(k => k.StartsWith("AUTOCAPTURE_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(variable);
        }

        using var process = Process.Start(start)!;
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.Equal(2, process.ExitCode);
        Assert.Contains("set AUTOCAPTURE_ALERTMANAGER_TOKEN", errors, StringComparison.Ordinal);
        Assert.False(File.Exists(Log));
    }
}
