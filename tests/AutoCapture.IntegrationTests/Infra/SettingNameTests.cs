using AutoCapture.Collector.Options;
using AutoCapture.Core.Storage;
using AutoCapture.Functions.Options;
using Microsoft.Extensions.Configuration;
using YamlDotNet.RepresentationModel;

namespace AutoCapture.IntegrationTests.Infra;

/// <summary>
/// Every <c>AutoCapture__…</c> setting the images and manifests set is bound by the configuration binder to the
/// options classes of the process it configures, refusing any key no property takes, so a renamed option or a typo in
/// a manifest fails here instead of being ignored in a cluster.
/// </summary>
public sealed class SettingNameTests
{
    private const string Prefix = "AutoCapture__";

    /// <summary>Each process's image and the workload that runs it.</summary>
    private static readonly Dictionary<string, (string Dockerfile, string Workload)> Files = new()
    {
        ["collector"] = ("collector.Dockerfile", "DaemonSet"),
        ["webhook"] = ("webhook.Dockerfile", "Deployment"),
    };

    /// <summary>What the process gets: its Dockerfile's ENV, then its container's env and the ConfigMaps and Secrets its envFrom names.</summary>
    private static Dictionary<string, string> Settings(string process)
    {
        var (dockerfile, workload) = Files[process];
        var settings = Dockerfile.Load(Path.Combine(InfraFiles.Docker, dockerfile)).Environment();
        var container = InfraFiles.Container(Assert.Single(InfraFiles.Documents(workload)).Document);
        foreach (var source in InfraFiles.Items(container, "envFrom").Select(e => InfraFiles.Map(e)))
        {
            var (kind, reference) = source.Children.ContainsKey(new YamlScalarNode("secretRef")) ? ("Secret", "secretRef") : ("ConfigMap", "configMapRef");
            foreach (var (key, value) in InfraFiles.Data(kind, InfraFiles.Map(source, reference)["name"].ToString()).Children)
            {
                settings[key.ToString()] = value.ToString();
            }
        }

        foreach (var variable in InfraFiles.Items(container, "env").Select(e => InfraFiles.Map(e)))
        {
            // A value from the pod's own fields (the node's name or address) is known only in the cluster.
            settings[variable["name"].ToString()] = variable.Children.TryGetValue(new YamlScalarNode("value"), out var value) ? value.ToString() : "node-1";
        }

        return settings.Where(s => s.Key.StartsWith(Prefix, StringComparison.Ordinal)).ToDictionary();
    }

    /// <summary>Binds the settings as the process does, throwing on a key no options property takes or a value it cannot convert.</summary>
    private static void Bind(string process, Dictionary<string, string> settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key.Replace("__", ":", StringComparison.Ordinal), (string?)s.Value)))
            .Build();
        void Strict(BinderOptions options) => options.ErrorOnUnknownConfiguration = true;
        if (process == "webhook")
        {
            configuration.GetSection(AutoCaptureOptions.Section).Get<AutoCaptureOptions>(Strict);
            return;
        }

        // The collector binds two sections; a setting outside both reaches nothing.
        var outside = settings.Keys.Where(k => !k.StartsWith("AutoCapture__Collector__", StringComparison.Ordinal) && !k.StartsWith("AutoCapture__Store__", StringComparison.Ordinal)).ToList();
        if (outside.Count > 0)
        {
            throw new InvalidOperationException($"the collector reads no {string.Join(", ", outside)}");
        }

        configuration.GetSection(CollectorOptions.Section).Get<CollectorOptions>(Strict);
        configuration.GetSection(StoreOptions.Section).Get<StoreOptions>(Strict);
    }

    [Theory]
    [InlineData("collector")]
    [InlineData("webhook")]
    public void Every_setting_in_the_image_and_manifest_binds_to_an_options_property(string process)
    {
        var settings = Settings(process);

        Assert.Contains(settings.Keys, k => k.StartsWith("AutoCapture__Collector__", StringComparison.Ordinal));
        var failure = Record.Exception(() => Bind(process, settings));
        Assert.True(failure is null, $"{Files[process]}: {failure?.Message}");
    }

    [Theory]
    [InlineData("webhook", "AutoCapture__Collector__SigningKy", "x", "SigningKy")]
    [InlineData("webhook", "AutoCapture__Store__Kind", "Blob", "AutoCapture:Store:Kind")]
    [InlineData("collector", "AutoCapture__Collector__AllowedProcesses__0__Nmae", "x", "Nmae")]
    [InlineData("collector", "AutoCapture__PublicBaseUrl", "https://x", "AutoCapture__PublicBaseUrl")]
    public void A_misspelt_setting_or_a_value_its_property_cannot_take_is_caught(string process, string name, string value, string named)
    {
        var settings = Settings(process);
        settings[name] = value;

        var failure = Assert.ThrowsAny<InvalidOperationException>(() => Bind(process, settings));
        Assert.Contains(named, failure.ToString(), StringComparison.Ordinal);
    }
}
