using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using AutoCapture.Functions.Rules;
using AutoCapture.IntegrationTests.Support;
using YamlDotNet.RepresentationModel;

namespace AutoCapture.IntegrationTests.Infra;

/// <summary>
/// The deployment files, checked as far as this machine allows: Bicep syntax with the tree-sitter grammar (the
/// Bicep compiler cannot be installed here) and the structure that matters (resources, role ids, lifecycle
/// rule, Key Vault references); the collector's systemd unit and DaemonSet; the sample rules and alert sources.
/// </summary>
public sealed partial class InfraTests
{
    private static readonly string Azure = Path.Combine(RepositoryPaths.Root, "infra", "azure");
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record Declaration(string Kind, string? Name, string? Type, string Text);

    private sealed record Outline(string File, List<string> Errors, List<Declaration> Declarations);

    private static async Task<List<Outline>> OutlineAsync(params string[] files)
    {
        RepositoryPaths.NodePackage("tree-sitter-bicep");
        RepositoryPaths.NodePackage("web-tree-sitter");
        var start = new ProcessStartInfo("node") { WorkingDirectory = RepositoryPaths.TestTools, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("bicep-outline.mjs");
        foreach (var file in files)
        {
            start.ArgumentList.Add(file);
        }

        using var node = Process.Start(start)!;
        var output = node.StandardOutput.ReadToEndAsync();
        var errors = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync();
        Assert.True(node.ExitCode == 0, $"bicep-outline failed: {await errors}");
        return JsonSerializer.Deserialize<List<Outline>>(await output, Json)!;
    }

    [Fact]
    public async Task Every_bicep_file_parses_without_errors()
    {
        var files = Directory.GetFiles(Azure, "*.bicep");
        Assert.Contains(files, f => f.EndsWith("main.bicep", StringComparison.Ordinal));

        foreach (var outline in await OutlineAsync(files))
        {
            Assert.True(outline.Errors.Count == 0, string.Join("\n", outline.Errors));
            Assert.NotEmpty(outline.Declarations);
        }
    }

    [Fact]
    public async Task The_syntax_check_catches_a_broken_file()
    {
        var broken = Path.Combine(Path.GetTempPath(), $"broken-{Guid.NewGuid():N}.bicep");
        await File.WriteAllTextAsync(broken, (await File.ReadAllTextAsync(Path.Combine(Azure, "main.bicep"))).Replace("kind: 'StorageV2'", "kind: 'StorageV2' ]", StringComparison.Ordinal));
        try
        {
            Assert.NotEmpty(Assert.Single(await OutlineAsync(broken)).Errors);
        }
        finally
        {
            File.Delete(broken);
        }
    }

    [Fact]
    public async Task Main_declares_the_function_app_storage_vault_and_roles_it_needs()
    {
        var main = Assert.Single(await OutlineAsync(Path.Combine(Azure, "main.bicep")));
        var resources = main.Declarations.Where(d => d.Kind == "resource").ToDictionary(d => d.Name!);
        Declaration Resource(string type) => Assert.Single(resources.Values, r => r.Type!.StartsWith(type + "@", StringComparison.Ordinal));

        // Flex Consumption, Linux, custom handler runtime, system-assigned identity.
        Assert.Matches(@"name:\s*'FC1'", Resource("Microsoft.Web/serverfarms").Text);
        Assert.Matches(@"reserved:\s*true", Resource("Microsoft.Web/serverfarms").Text);
        var app = Resource("Microsoft.Web/sites");
        Assert.Contains("kind: 'functionapp,linux'", app.Text, StringComparison.Ordinal);
        Assert.Matches(@"runtime:\s*\{\s*name:\s*'custom'", app.Text);
        Assert.Matches(@"type:\s*'SystemAssigned'", app.Text);

        // Storage with the captures container and a lifecycle rule that cools then deletes, both parameterised.
        Resource("Microsoft.Storage/storageAccounts");
        Assert.Contains(resources.Values, r => r.Type!.StartsWith("Microsoft.Storage/storageAccounts/blobServices/containers@", StringComparison.Ordinal) && r.Text.Contains("name: capturesContainer", StringComparison.Ordinal));
        var lifecycle = Resource("Microsoft.Storage/storageAccounts/managementPolicies");
        Assert.Matches(@"tierToCool:\s*\{\s*daysAfterModificationGreaterThan:\s*coolAfterDays", lifecycle.Text);
        Assert.Matches(@"delete:\s*\{\s*daysAfterModificationGreaterThan:\s*deleteAfterDays", lifecycle.Text);
        Assert.Contains("prefixMatch: [ '${capturesContainer}/captures/' ]", lifecycle.Text, StringComparison.Ordinal);

        // Key Vault holds the secrets and app settings reference them; no secret value is in the settings.
        Resource("Microsoft.KeyVault/vaults");
        var secrets = resources.Values.Where(r => r.Type!.StartsWith("Microsoft.KeyVault/vaults/secrets@", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, secrets.Count);
        var settings = main.Declarations.Single(d => d.Name == "baseSettings").Text + main.Declarations.Single(d => d.Name == "chatSettings").Text;
        foreach (var setting in new[] { "AutoCapture__Sources__Alertmanager__BearerToken", "AutoCapture__Collector__SigningKey", "AutoCapture__Links__SigningKey", "AutoCapture__Chat__Slack__WebhookUrl" })
        {
            Assert.Matches($@"name: '{setting}', value: '@Microsoft\.KeyVault\(SecretUri=\$\{{\w+\.properties\.secretUri\}}\)'", settings);
        }

        Assert.Contains("AutoCapture__Store__Credential', value: 'managedidentity'", settings, StringComparison.Ordinal);

        // Role assignments: blob data for the app, secrets for Key Vault references, granted to the app's identity.
        var roles = resources.Values.Where(r => r.Type!.StartsWith("Microsoft.Authorization/roleAssignments@", StringComparison.Ordinal)).ToList();
        var variables = main.Declarations.Where(d => d.Kind == "variable").ToDictionary(d => d.Name!, d => d.Text);
        Assert.Contains("'ba92f5b4-2d11-453d-a403-e96b0029c9fe'", variables["storageBlobDataContributor"], StringComparison.Ordinal);
        Assert.Contains("'4633458b-17de-408a-b874-0445c86b69e6'", variables["keyVaultSecretsUser"], StringComparison.Ordinal);
        Assert.Contains(roles, r => r.Text.Contains("storageBlobDataContributor)", StringComparison.Ordinal) && r.Text.Contains("scope: storage", StringComparison.Ordinal));
        Assert.Contains(roles, r => r.Text.Contains("keyVaultSecretsUser)", StringComparison.Ordinal) && r.Text.Contains("scope: vault", StringComparison.Ordinal));
        Assert.All(roles, r => Assert.Contains("principalId: app.identity.principalId", r.Text, StringComparison.Ordinal));

        // Outputs: the webhook URLs.
        var outputs = main.Declarations.Where(d => d.Kind == "output").ToDictionary(d => d.Name!, d => d.Text);
        Assert.Contains("/api/alerts/alertmanager'", outputs["alertmanagerWebhookUrl"], StringComparison.Ordinal);
        Assert.Contains("/api/alerts/azuremonitor'", outputs["azureMonitorWebhookUrl"], StringComparison.Ordinal);

        // Secrets are secure parameters.
        var text = await File.ReadAllTextAsync(Path.Combine(Azure, "main.bicep"));
        foreach (var secret in new[] { "alertmanagerToken", "collectorSigningKey", "linkSigningKey", "slackWebhookUrl" })
        {
            Assert.Matches($@"@secure\(\)\s*param {secret} string", text);
        }
    }

    [Fact]
    public async Task The_parameters_file_sets_only_declared_parameters_and_every_required_one()
    {
        var main = Assert.Single(await OutlineAsync(Path.Combine(Azure, "main.bicep")));
        var declared = main.Declarations.Where(d => d.Kind == "parameter").ToDictionary(d => d.Name!, d => d.Text);
        var parameters = await File.ReadAllTextAsync(Path.Combine(Azure, "main.bicepparam"));

        Assert.Contains("using 'main.bicep'", parameters, StringComparison.Ordinal);
        var assigned = ParamAssignment().Matches(parameters).Select(m => m.Groups[1].Value).ToList();
        Assert.All(assigned, name => Assert.True(declared.ContainsKey(name), $"main.bicepparam sets {name}, which main.bicep does not declare"));
        var required = declared.Where(d => !d.Value.Contains('=', StringComparison.Ordinal)).Select(d => d.Key).ToList();
        Assert.NotEmpty(required);
        Assert.All(required, name => Assert.Contains(name, assigned));
    }

    [Fact]
    public async Task The_action_group_sample_uses_the_common_alert_schema()
    {
        var group = Assert.Single(await OutlineAsync(Path.Combine(Azure, "action-group.bicep")));

        var resource = Assert.Single(group.Declarations, d => d.Kind == "resource");
        Assert.StartsWith("Microsoft.Insights/actionGroups@", resource.Type, StringComparison.Ordinal);
        Assert.Matches(@"useCommonAlertSchema:\s*true", resource.Text);
        Assert.Contains("serviceUri: webhookUrl", resource.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_sample_rules_file_is_valid()
    {
        var rules = RulesLoader.LoadFile(Path.Combine(Azure, "rules.yaml"));

        Assert.NotEmpty(rules.Rules);
    }

    [Fact]
    public void The_alertmanager_sample_routes_to_the_autocapture_receiver_with_a_bearer_token()
    {
        var root = LoadYaml(Path.Combine(RepositoryPaths.Root, "infra", "alertmanager", "receiver.yml")).Single();
        var routes = (YamlSequenceNode)Map(root, "route")["routes"];
        Assert.Contains(routes.Children, r => Map(r)["receiver"].ToString() == "autocapture");
        var receiver = ((YamlSequenceNode)Map(root)["receivers"]).Children.Single(r => Map(r)["name"].ToString() == "autocapture");
        var webhook = Map(((YamlSequenceNode)Map(receiver)["webhook_configs"]).Children[0]);
        Assert.EndsWith("/api/alerts/alertmanager", webhook["url"].ToString(), StringComparison.Ordinal);
        Assert.Equal("Bearer", Map(Map(webhook["http_config"])["authorization"])["type"].ToString());
    }

    [Fact]
    public void The_systemd_unit_is_sandboxed_but_can_reach_diagnostics_sockets_in_tmp()
    {
        var unit = File.ReadAllLines(Path.Combine(RepositoryPaths.Root, "infra", "collector", "systemd", "autocapture-collector.service"))
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .GroupBy(p => p[0], p => p[1])
            .ToDictionary(g => g.Key, g => g.Last());

        Assert.Equal("no", unit["PrivateTmp"]);
        Assert.Equal("strict", unit["ProtectSystem"]);
        Assert.Contains("/tmp", unit["ReadWritePaths"].Split(' '));
        Assert.Equal("yes", unit["NoNewPrivileges"]);
        Assert.Equal("CAP_DAC_OVERRIDE", unit["CapabilityBoundingSet"]);
        Assert.Equal("default", unit["ProtectProc"]);
        Assert.Contains("AF_UNIX", unit["RestrictAddressFamilies"], StringComparison.Ordinal);
        Assert.StartsWith("/etc/autocapture/", unit["EnvironmentFile"], StringComparison.Ordinal);
        Assert.Contains("MemoryMax", unit.Keys);
    }

    [Fact]
    public void The_daemonset_limits_resources_reads_keys_from_a_secret_and_shares_tmp()
    {
        var documents = LoadYaml(Path.Combine(RepositoryPaths.Root, "infra", "collector", "kubernetes", "collector-daemonset.yaml"));
        var daemonSet = documents.Single(d => Map(d)["kind"].ToString() == "DaemonSet");
        var pod = Map(Map(Map(daemonSet, "spec"), "template"), "spec");
        var container = Map(((YamlSequenceNode)pod["containers"]).Children.Single());

        Assert.Equal("true", pod["hostPID"].ToString());
        var limits = Map(Map(container, "resources"), "limits");
        Assert.True(limits.Children.ContainsKey("cpu") && limits.Children.ContainsKey("memory"));
        Assert.Contains(((YamlSequenceNode)container["envFrom"]).Children, e => Map(e).Children.ContainsKey("secretRef"));
        Assert.Contains(((YamlSequenceNode)container["volumeMounts"]).Children, m => Map(m)["mountPath"].ToString() == "/tmp");
        Assert.Contains(documents, d => Map(d)["kind"].ToString() == "Secret");
        Assert.Equal("false", Map(container, "securityContext")["allowPrivilegeEscalation"].ToString());

        // The app calls http://<node>:7080, and a pod's own names are the pod's: the node's must be its audiences.
        var audiences = ((YamlSequenceNode)container["env"]).Children.Select(e => Map(e))
            .Where(e => e["name"].ToString().StartsWith("AutoCapture__Collector__Audiences__", StringComparison.Ordinal))
            .Select(e => Map(Map(e, "valueFrom"), "fieldRef")["fieldPath"].ToString());
        Assert.Equal(["spec.nodeName", "status.hostIP"], audiences);
    }

    private static List<YamlNode> LoadYaml(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return stream.Documents.Select(d => d.RootNode).ToList();
    }

    private static YamlMappingNode Map(YamlNode node, string? key = null) =>
        (YamlMappingNode)(key is null ? node : ((YamlMappingNode)node)[key]);

    [GeneratedRegex(@"^param (\w+) =", RegexOptions.Multiline)]
    private static partial Regex ParamAssignment();
}
