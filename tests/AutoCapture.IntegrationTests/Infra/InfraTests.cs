using System.Text.Json;
using System.Text.RegularExpressions;
using AutoCapture.Functions.Rules;
using AutoCapture.IntegrationTests.Support;
using YamlDotNet.RepresentationModel;
using static AutoCapture.IntegrationTests.Infra.InfraFiles;

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
        RepositoryPaths.NodePackage("web-tree-sitter");
        var (exit, output, errors) = await NodeAsync("tree-sitter-bicep", ["bicep-outline.mjs", .. files]);
        Assert.True(exit == 0, $"bicep-outline failed: {errors}");
        return JsonSerializer.Deserialize<List<Outline>>(output, Json)!;
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

    /// <summary>Every app setting that holds a secret, and the Key Vault secret resource it must reference.</summary>
    public static TheoryData<string, string> SecretSettings => new()
    {
        { "AutoCapture__Sources__Alertmanager__BearerToken", "alertmanagerTokenSecret" },
        { "AutoCapture__Sources__AzureMonitor__QuerySecret", "azureMonitorSecret" },
        { "AutoCapture__Api__ReadTokens__0", "readTokenSecret" },
        { "AutoCapture__Collector__SigningKey", "collectorKeySecret" },
        { "AutoCapture__Links__SigningKey", "linkKeySecret" },
        { "AutoCapture__Chat__Slack__WebhookUrl", "slackSecret" },
        { "AutoCapture__Chat__Channels__teams__Url", "teamsSecret" },
    };

    private static async Task<(Outline Main, Dictionary<string, Declaration> Resources, string Settings)> MainAsync()
    {
        var main = Assert.Single(await OutlineAsync(Path.Combine(Azure, "main.bicep")));
        var resources = main.Declarations.Where(d => d.Kind == "resource").ToDictionary(d => d.Name!);
        var settings = string.Join("\n", main.Declarations.Where(d => d.Kind == "variable" && d.Name!.EndsWith("Settings", StringComparison.Ordinal)).Select(d => d.Text));
        return (main, resources, settings);
    }

    /// <summary>Decorators are not part of a declaration's node, so they are read from the file.</summary>
    private static async Task<List<string>> SecureParametersAsync() =>
        SecureParameter().Matches(await File.ReadAllTextAsync(Path.Combine(Azure, "main.bicep"))).Select(m => m.Groups[1].Value).ToList();

    private static Declaration Resource(Dictionary<string, Declaration> resources, string type) =>
        Assert.Single(resources.Values, r => r.Type!.StartsWith(type + "@", StringComparison.Ordinal));

    [Fact]
    public async Task The_function_app_runs_the_isolated_worker_on_flex_consumption_inside_a_delegated_subnet()
    {
        var (main, resources, settings) = await MainAsync();

        Assert.Matches(@"name:\s*'FC1'", Resource(resources, "Microsoft.Web/serverfarms").Text);
        Assert.Matches(@"reserved:\s*true", Resource(resources, "Microsoft.Web/serverfarms").Text);
        var app = Resource(resources, "Microsoft.Web/sites");
        Assert.Contains("kind: 'functionapp,linux'", app.Text, StringComparison.Ordinal);
        Assert.Matches(@"runtime:\s*\{\s*name:\s*'dotnet-isolated'\s*version:\s*'10\.0'", app.Text);
        Assert.DoesNotContain("customHandler", app.Text, StringComparison.OrdinalIgnoreCase);
        Assert.Matches(@"type:\s*'SystemAssigned'", app.Text);
        // Flex Consumption refuses these as app settings: the runtime comes from functionAppConfig.
        Assert.DoesNotContain("FUNCTIONS_WORKER_RUNTIME", settings, StringComparison.Ordinal);
        Assert.DoesNotContain("FUNCTIONS_EXTENSION_VERSION", settings, StringComparison.Ordinal);

        // VNet integration: the app's subnet is a parameter or a created subnet delegated as Flex requires.
        Assert.Contains("virtualNetworkSubnetId: subnetId", app.Text, StringComparison.Ordinal);
        var variables = main.Declarations.Where(d => d.Kind == "variable").ToDictionary(d => d.Name!, d => d.Text);
        Assert.Contains("appSubnetId", variables["subnetId"], StringComparison.Ordinal);
        Assert.Contains("resourceId('Microsoft.Network/virtualNetworks/subnets', vnetName, 'functions')", variables["subnetId"], StringComparison.Ordinal);
        var vnet = Resource(resources, "Microsoft.Network/virtualNetworks");
        Assert.Contains("name: vnetName", vnet.Text, StringComparison.Ordinal);
        Assert.Matches(@"name:\s*'functions'", vnet.Text);
        Assert.Matches(@"serviceName:\s*'Microsoft\.App/environments'", vnet.Text);
        Assert.Contains("id: appNsg.id", vnet.Text, StringComparison.Ordinal);
        Assert.Contains("dependsOn: [ vnet ]", app.Text, StringComparison.Ordinal);

        // The NSG opens the collectors' port on their prefixes, and the app's allowlist is the same prefixes and port.
        var nsg = Resource(resources, "Microsoft.Network/networkSecurityGroups");
        Assert.Matches(@"direction:\s*'Outbound'\s*access:\s*'Allow'", nsg.Text);
        Assert.Contains("destinationAddressPrefixes: collectorAddressPrefixes", nsg.Text, StringComparison.Ordinal);
        Assert.Contains("destinationPortRange: string(collectorPort)", nsg.Text, StringComparison.Ordinal);
        Assert.Contains("'AutoCapture__Collector__AllowedCollectors__${i}', value: '${prefix}:${collectorPort}'", variables["collectorSettings"], StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(SecretSettings))]
    public async Task Each_secret_setting_is_a_key_vault_reference_to_a_secret_from_a_secure_parameter(string setting, string secretResource)
    {
        var (main, resources, settings) = await MainAsync();

        Assert.Matches($@"name: '{setting}', value: '@Microsoft\.KeyVault\(SecretUri=\$\{{{secretResource}\.properties\.secretUri\}}\)'", settings);
        var secret = resources[secretResource];
        Assert.StartsWith("Microsoft.KeyVault/vaults/secrets@", secret.Type, StringComparison.Ordinal);
        var parameter = Assert.Single(Regex.Matches(secret.Text, @"value: (\w+)")).Groups[1].Value;
        Assert.Contains(parameter, await SecureParametersAsync());
    }

    [Fact]
    public async Task No_setting_carries_an_account_key_or_a_secret_value_and_the_store_uses_managed_identity()
    {
        var (main, resources, settings) = await MainAsync();

        Assert.DoesNotMatch("(?i)AccountKey|SharedAccessSignature|listKeys|ConnectionString'|__Sas'", settings);
        Assert.Contains("'AutoCapture__Store__AccountUrl', value: storage.properties.primaryEndpoints.blob", settings, StringComparison.Ordinal);
        Assert.Contains("'AutoCapture__Store__Credential', value: 'managedidentity'", settings, StringComparison.Ordinal);
        Assert.Contains("'AzureWebJobsStorage__accountName', value: storage.name", settings, StringComparison.Ordinal);
        Assert.Matches(@"allowSharedKeyAccess:\s*false", Resource(resources, "Microsoft.Storage/storageAccounts").Text);
        Assert.Contains("keyVaultReferenceIdentity: 'SystemAssigned'", Resource(resources, "Microsoft.Web/sites").Text, StringComparison.Ordinal);

        // Every secure parameter ends up in a Key Vault secret and nowhere else.
        var secure = await SecureParametersAsync();
        Assert.Equal(SecretSettings.Count, secure.Count);
        foreach (var parameter in secure)
        {
            Assert.DoesNotMatch($@"\b{parameter}\b", settings.Replace($"empty({parameter})", string.Empty, StringComparison.Ordinal));
            Assert.Single(resources.Values, r => r.Type!.StartsWith("Microsoft.KeyVault/vaults/secrets@", StringComparison.Ordinal) && r.Text.Contains($"value: {parameter}", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task State_artifacts_and_rules_have_their_own_containers_named_in_the_settings()
    {
        var (_, resources, settings) = await MainAsync();
        var containers = resources.Values.Where(r => r.Type!.StartsWith("Microsoft.Storage/storageAccounts/blobServices/containers@", StringComparison.Ordinal)).ToDictionary(r => r.Name!, r => r.Text);

        Assert.Contains("name: capturesContainer", containers["captures"], StringComparison.Ordinal);
        Assert.Contains("name: artifactsContainer", containers["artifacts"], StringComparison.Ordinal);
        Assert.Contains("name: configContainer", containers["config"], StringComparison.Ordinal);
        Assert.All(containers.Values, c => Assert.Contains("publicAccess: 'None'", c, StringComparison.Ordinal));
        Assert.Contains("'AutoCapture__Store__Container', value: capturesContainer", settings, StringComparison.Ordinal);
        Assert.Contains("'AutoCapture__Store__ArtifactsContainer', value: artifactsContainer", settings, StringComparison.Ordinal);
        Assert.Contains("'AutoCapture__Rules__BlobUri', value: '${storage.properties.primaryEndpoints.blob}${configContainer}/${rulesBlob}'", settings, StringComparison.Ordinal);
        Assert.Contains("'AutoCapture__Rules__Credential', value: 'managedidentity'", settings, StringComparison.Ordinal);

        var lifecycle = Resource(resources, "Microsoft.Storage/storageAccounts/managementPolicies");
        Assert.Matches(@"tierToCool:\s*\{\s*daysAfterModificationGreaterThan:\s*coolAfterDays", lifecycle.Text);
        Assert.Matches(@"delete:\s*\{\s*daysAfterModificationGreaterThan:\s*deleteAfterDays", lifecycle.Text);
        Assert.Contains("prefixMatch: [ '${capturesContainer}/captures/', '${artifactsContainer}/captures/' ]", lifecycle.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_app_gets_blob_data_and_secrets_while_collectors_may_only_write_into_the_artifacts_container()
    {
        var (main, resources, _) = await MainAsync();
        var roles = resources.Values.Where(r => r.Type!.StartsWith("Microsoft.Authorization/roleAssignments@", StringComparison.Ordinal)).ToDictionary(r => r.Name!, r => r.Text);
        var variables = main.Declarations.Where(d => d.Kind == "variable").ToDictionary(d => d.Name!, d => d.Text);
        Assert.Contains("'ba92f5b4-2d11-453d-a403-e96b0029c9fe'", variables["storageBlobDataContributor"], StringComparison.Ordinal);
        Assert.Contains("'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'", variables["storageBlobDataOwner"], StringComparison.Ordinal);
        Assert.Contains("'4633458b-17de-408a-b874-0445c86b69e6'", variables["keyVaultSecretsUser"], StringComparison.Ordinal);

        static void Grants(string role, string definition, string scope, string principal)
        {
            Assert.Contains($"{definition})", role, StringComparison.Ordinal);
            Assert.Contains($"scope: {scope}\n", role, StringComparison.Ordinal);
            Assert.Contains($"principalId: {principal}\n", role, StringComparison.Ordinal);
        }

        Grants(roles["appBlobData"], "storageBlobDataContributor", "storage", "app.identity.principalId");
        Grants(roles["hostBlobData"], "storageBlobDataOwner", "storage", "app.identity.principalId");
        Grants(roles["appSecrets"], "keyVaultSecretsUser", "vault", "app.identity.principalId");
        Grants(roles["deployerRules"], "storageBlobDataContributor", "config", "deployerPrincipalId");

        // The collectors' identity: one custom role that creates and writes blobs, assigned on the artifacts container.
        var collector = roles["collectorArtifacts"];
        Assert.Contains("scope: artifacts\n", collector, StringComparison.Ordinal);
        Assert.Contains("roleDefinitionId: artifactWriter.id", collector, StringComparison.Ordinal);
        Assert.Contains("principalId: collectorIdentity.properties.principalId", collector, StringComparison.Ordinal);
        Assert.Single(roles.Values, r => r.Contains("collectorIdentity", StringComparison.Ordinal));
        var writer = Resource(resources, "Microsoft.Authorization/roleDefinitions");
        var dataActions = Regex.Matches(writer.Text, @"'(Microsoft\.Storage/[^']+)'").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(
            ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write", "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action"],
            dataActions);
        Assert.Matches(@"actions:\s*\[\]", writer.Text);
        Assert.Contains(resources.Values, r => r.Type!.StartsWith("Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@", StringComparison.Ordinal) && r.Text.Contains("parent: collectorIdentity", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_output_deploy_sh_reads_is_declared()
    {
        var (main, _, _) = await MainAsync();
        var outputs = main.Declarations.Where(d => d.Kind == "output").ToDictionary(d => d.Name!, d => d.Text);
        var script = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "infra", "deploy.sh"));

        var read = DeployOutput().Matches(script).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.Contains("alertmanagerWebhookUrl", read);
        Assert.Contains("azureMonitorWebhookUrl", read);
        Assert.All(read, name => Assert.True(outputs.ContainsKey(name), $"deploy.sh reads output {name}, which main.bicep does not declare"));
        Assert.Contains("/api/alerts/alertmanager'", outputs["alertmanagerWebhookUrl"], StringComparison.Ordinal);
        Assert.Contains("/api/alerts/azuremonitor'", outputs["azureMonitorWebhookUrl"], StringComparison.Ordinal);
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
        var documents = LoadYaml(Path.Combine(InfraFiles.Kubernetes, "collector-daemonset.yaml"));
        var daemonSet = documents.Single(d => Map(d)["kind"].ToString() == "DaemonSet");
        var pod = Map(Map(Map(daemonSet, "spec"), "template"), "spec");
        var container = Map(((YamlSequenceNode)pod["containers"]).Children.Single());

        Assert.Equal("true", pod["hostPID"].ToString());
        var limits = Map(Map(container, "resources"), "limits");
        Assert.True(limits.Children.ContainsKey("cpu") && limits.Children.ContainsKey("memory"));
        Assert.Contains(((YamlSequenceNode)container["envFrom"]).Children, e => Map(e).Children.ContainsKey("secretRef"));
        Assert.Contains(((YamlSequenceNode)container["volumeMounts"]).Children, m => Map(m)["mountPath"].ToString() == "/tmp");
        var secret = Map(Assert.Single(((YamlSequenceNode)container["envFrom"]).Children, e => Map(e).Children.ContainsKey("secretRef")), "secretRef")["name"].ToString();
        Assert.Contains(Documents("Secret"), d => Name(d.Document) == secret);
        Assert.Equal("false", Map(container, "securityContext")["allowPrivilegeEscalation"].ToString());

        // The app calls http://<node>:7080, and a pod's own names are the pod's: the node's must be its audiences.
        var audiences = ((YamlSequenceNode)container["env"]).Children.Select(e => Map(e))
            .Where(e => e["name"].ToString().StartsWith("AutoCapture__Collector__Audiences__", StringComparison.Ordinal))
            .Select(e => Map(Map(e, "valueFrom"), "fieldRef")["fieldPath"].ToString());
        Assert.Equal(["spec.nodeName", "status.hostIP"], audiences);
    }

    [GeneratedRegex(@"^param (\w+) =", RegexOptions.Multiline)]
    private static partial Regex ParamAssignment();

    [GeneratedRegex(@"@secure\(\)\s*param (\w+) string")]
    private static partial Regex SecureParameter();

    [GeneratedRegex(@"\$\(output (\w+)\)")]
    private static partial Regex DeployOutput();
}
