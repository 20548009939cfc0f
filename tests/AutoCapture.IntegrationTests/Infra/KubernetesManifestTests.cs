using System.Text.Json;
using System.Text.RegularExpressions;
using AutoCapture.Functions.Rules;
using AutoCapture.IntegrationTests.Monitoring;
using AutoCapture.IntegrationTests.Support;
using YamlDotNet.RepresentationModel;

namespace AutoCapture.IntegrationTests.Infra;

/// <summary>
/// The Kubernetes manifests and the Prometheus and Alertmanager examples, checked without a cluster: each document
/// against the Kubernetes API schemas (npm kubernetes-models), every file with yamllint, and what ties them together
/// (the kustomization, the rules the app mounts, the key and callback URL the collectors share with the app).
/// </summary>
public sealed partial class KubernetesManifestTests : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly string Yamllint = Path.Combine(RepositoryPaths.Root, "infra", ".yamllint");
    private static readonly string[] Linted = ["infra/kubernetes", "infra/prometheus", "infra/alertmanager"];

    private readonly string _directory = Directory.CreateTempSubdirectory("autocapture-manifests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private sealed record Checked(string File, int Index, string? Kind, string? Name, bool Model, List<string> Errors);

    private static IEnumerable<string> Manifests() =>
        Directory.GetFiles(InfraFiles.Kubernetes, "*.yaml").Where(f => Path.GetFileName(f) != "kustomization.yaml").Order(StringComparer.Ordinal);

    private static async Task<List<Checked>> ValidateAsync(params string[] files)
    {
        var (exit, output, errors) = await InfraFiles.NodeAsync("kubernetes-models", ["kubernetes-validate.mjs", .. files]);
        Assert.True(exit == 0, $"kubernetes-validate failed: {errors}");
        return JsonSerializer.Deserialize<List<Checked>>(output, Json)!;
    }

    private string Planted(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string Setting(string kind, string name, string key) => InfraFiles.Data(kind, name)[key].ToString();

    [Fact]
    public async Task Every_manifest_document_is_valid_against_the_kubernetes_schemas()
    {
        var documents = await ValidateAsync([.. Manifests()]);

        Assert.All(documents, d => Assert.True(d.Model && d.Errors.Count == 0, $"{d.File} document {d.Index} ({d.Kind} {d.Name}): {(d.Model ? string.Join("; ", d.Errors) : "no Kubernetes model for it")}"));
        Assert.Equal(
            ["ConfigMap", "ConfigMap", "ConfigMap", "DaemonSet", "Deployment", "Namespace", "Secret", "Secret", "Service"],
            documents.Select(d => d.Kind).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_schema_check_catches_a_wrong_type_and_a_missing_required_field()
    {
        var text = await File.ReadAllTextAsync(Path.Combine(InfraFiles.Kubernetes, "webhook-app.yaml"));
        var broken = Planted("webhook-app.yaml", text.Replace("replicas: 2", "replicas: two", StringComparison.Ordinal).Replace("- name: webhook\n", "- nam: webhook\n", StringComparison.Ordinal));

        var deployment = Assert.Single(await ValidateAsync(broken), d => d.Kind == "Deployment");

        Assert.Contains(deployment.Errors, e => e.Contains("spec/replicas must be integer", StringComparison.Ordinal));
        Assert.Contains(deployment.Errors, e => e.Contains("containers/0 must have required property name", StringComparison.Ordinal));
    }

    private static Task<(int ExitCode, string Output, string Errors)> YamllintAsync(params string[] paths) =>
        ToolProcess.RunAsync("yamllint", ["-s", "-f", "parsable", "-c", Yamllint, .. paths], TimeSpan.FromMinutes(1));

    [Fact]
    public async Task Yamllint_passes_on_every_manifest_and_example()
    {
        var (exit, output, errors) = await YamllintAsync(Linted);

        Assert.True(exit == 0, output + errors);
    }

    [Fact]
    public async Task Yamllint_catches_a_duplicate_key_and_broken_indentation()
    {
        var text = await File.ReadAllTextAsync(Path.Combine(InfraFiles.Kubernetes, "collector-daemonset.yaml"));
        var broken = Planted("collector-daemonset.yaml", text
            .Replace("      hostPID: true\n", "      hostPID: true\n      hostPID: false\n", StringComparison.Ordinal)
            .Replace("  updateStrategy:\n", "   updateStrategy:\n", StringComparison.Ordinal));

        var (exit, output, _) = await YamllintAsync(broken);

        Assert.NotEqual(0, exit);
        Assert.Contains("(key-duplicates)", output, StringComparison.Ordinal);
        Assert.Contains("syntax error", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_kustomization_applies_every_manifest_and_sets_both_images()
    {
        var kustomization = InfraFiles.Map(Assert.Single(InfraFiles.LoadYaml(Path.Combine(InfraFiles.Kubernetes, "kustomization.yaml"))));

        Assert.Equal(Manifests().Select(Path.GetFileName), InfraFiles.Items(kustomization, "resources").Select(r => r.ToString()).Order(StringComparer.Ordinal));
        Assert.Equal("autocapture", kustomization["namespace"].ToString());
        var images = InfraFiles.Items(kustomization, "images").Select(i => InfraFiles.Map(i)["name"].ToString()).Order(StringComparer.Ordinal);
        var used = new[] { "DaemonSet", "Deployment" }.SelectMany(InfraFiles.Documents)
            .SelectMany(d => InfraFiles.Items(InfraFiles.Map(InfraFiles.Map(InfraFiles.Map(d.Document, "spec"), "template"), "spec"), "containers"))
            .Select(c => InfraFiles.Map(c)["image"].ToString()).Order(StringComparer.Ordinal);
        Assert.Equal(used, images);
    }

    [Fact]
    public void Every_secret_value_is_a_placeholder()
    {
        var secrets = InfraFiles.Documents("Secret");

        Assert.Equal(2, secrets.Count);
        foreach (var (file, secret) in secrets)
        {
            Assert.False(secret.Children.ContainsKey(new YamlScalarNode("data")), $"{file}: base64 data hides what is committed; use stringData placeholders");
            Assert.All(InfraFiles.Map(secret, "stringData").Children, v => Assert.StartsWith("replace-me", v.Value.ToString(), StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_app_mounts_its_rules_where_it_reads_them_and_they_load()
    {
        var deployment = Assert.Single(InfraFiles.Documents("Deployment")).Document;
        var pod = InfraFiles.Map(InfraFiles.Map(InfraFiles.Map(deployment, "spec"), "template"), "spec");
        var rulesVolume = InfraFiles.Items(pod, "volumes").Select(v => InfraFiles.Map(v)).Single(v => v["name"].ToString() == "rules");
        var mount = InfraFiles.Items(InfraFiles.Container(deployment), "volumeMounts").Select(m => InfraFiles.Map(m)).Single(m => m["name"].ToString() == "rules");
        var rulesFile = Setting("ConfigMap", "autocapture-webhook", "AutoCapture__RulesFile");

        Assert.Equal($"{mount["mountPath"]}/rules.yaml", rulesFile);
        Assert.Equal(rulesFile, Dockerfile.Load(Path.Combine(InfraFiles.Docker, "webhook.Dockerfile")).Environment()["AutoCapture__RulesFile"]);
        var rules = Setting("ConfigMap", InfraFiles.Map(rulesVolume, "configMap")["name"].ToString(), "rules.yaml");
        Assert.NotEmpty(RulesLoader.Parse("webhook-rules.yaml", rules).Rules);
    }

    [Fact]
    public void The_collectors_share_the_apps_signing_key_setting_and_call_back_its_public_url()
    {
        Assert.Equal(Setting("Secret", "autocapture-webhook", "AutoCapture__Collector__SigningKey"), Setting("Secret", "autocapture-collector", "AutoCapture__Collector__SigningKey"));
        Assert.Equal(Setting("ConfigMap", "autocapture-webhook", "AutoCapture__PublicBaseUrl"), Setting("ConfigMap", "autocapture-collector", "AutoCapture__Collector__CallbackBaseUrl"));
        Assert.Equal(Setting("ConfigMap", "autocapture-webhook", "AutoCapture__Store__Container"), Setting("ConfigMap", "autocapture-collector", "AutoCapture__Store__Container"));
    }

    [Fact]
    public async Task The_example_prometheus_alert_passes_promtool_and_its_labels_route_to_the_collector_on_its_node()
    {
        var file = Path.Combine(RepositoryPaths.Root, "infra", "prometheus", "alert-rules.yml");
        var (exit, output) = await Promtool.RunAsync(null, "check", "rules", file);
        Assert.True(exit == 0, output);

        // The alert as Alertmanager forwards it: the rule's own labels and the ones its expression keeps.
        var rule = InfraFiles.Map(Assert.Single(InfraFiles.Items(Assert.Single(InfraFiles.Items(Assert.Single(InfraFiles.LoadYaml(file)), "groups")), "rules")));
        var expression = rule["expr"].ToString();
        var container = ContainerSelector().Match(expression).Groups[1].Value;
        var kept = KeptLabels().Matches(expression).SelectMany(m => m.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries)).ToHashSet();
        Assert.True(kept.SetEquals(["namespace", "pod", "container", "node", "host_ip"]), string.Join(", ", kept));
        var labels = new Dictionary<string, string>
        {
            ["alertname"] = rule["alert"].ToString(),
            ["namespace"] = "shop",
            ["pod"] = $"{container}-7d9f",
            ["container"] = container,
            ["node"] = "node-1",
            ["host_ip"] = "10.1.2.3",
        };
        foreach (var (name, value) in InfraFiles.Map(rule, "labels").Children)
        {
            labels[name.ToString()] = value.ToString();
        }

        var payload = Planted("alert.json", JsonSerializer.Serialize(new { version = "4", status = "firing", alerts = new[] { new { status = "firing", labels, startsAt = "2026-12-06T10:00:00Z" } } }));
        var rules = Planted("rules.yaml", Setting("ConfigMap", "autocapture-rules", "rules.yaml"));
        var (testExit, routed, errors) = await CliProcess.RunAsync(["rules", "test", rules, "--alert", payload]);

        Assert.True(testExit == 0, errors);
        Assert.Contains($"name={container} on node-1 via http://10.1.2.3:7080", routed, StringComparison.Ordinal);
        // The process the rule names is one the collectors may capture.
        Assert.Equal(container, Setting("ConfigMap", "autocapture-collector", "AutoCapture__Collector__AllowedProcesses__0__Name"));
    }

    [GeneratedRegex(@"container=""([^""]+)""")]
    private static partial Regex ContainerSelector();

    [GeneratedRegex(@"(?:sum by|group_left) \(([^)]*)\)")]
    private static partial Regex KeptLabels();
}
