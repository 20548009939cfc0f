using AutoCapture.IntegrationTests.Support;
using YamlDotNet.RepresentationModel;

namespace AutoCapture.IntegrationTests.Infra;

/// <summary>What the infra tests share: the deployment folders, YAML documents, and the linters they run.</summary>
internal static class InfraFiles
{
    public static string Kubernetes { get; } = Path.Combine(RepositoryPaths.Root, "infra", "kubernetes");

    public static string Docker { get; } = Path.Combine(RepositoryPaths.Root, "infra", "docker");

    public static List<YamlNode> LoadYaml(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return stream.Documents.Select(d => d.RootNode).ToList();
    }

    public static YamlMappingNode Map(YamlNode node, string? key = null) =>
        (YamlMappingNode)(key is null ? node : ((YamlMappingNode)node)[key]);

    public static IEnumerable<YamlNode> Items(YamlNode node, string key) =>
        ((YamlMappingNode)node).Children.TryGetValue(key, out var items) ? ((YamlSequenceNode)items).Children : [];

    /// <summary>The documents of one kind in the Kubernetes manifests, with the file each comes from.</summary>
    public static List<(string File, YamlMappingNode Document)> Documents(string kind) =>
        Directory.GetFiles(Kubernetes, "*.yaml")
            .Where(f => Path.GetFileName(f) != "kustomization.yaml")
            .SelectMany(f => LoadYaml(f).Select(d => (File: Path.GetFileName(f), Document: Map(d))))
            .Where(d => d.Document["kind"].ToString() == kind)
            .ToList();

    public static string Name(YamlNode document) => Map(document, "metadata")["name"].ToString();

    /// <summary>The named ConfigMap's data or Secret's stringData.</summary>
    public static YamlMappingNode Data(string kind, string name) =>
        Map(Documents(kind).Single(d => Name(d.Document) == name).Document, kind == "Secret" ? "stringData" : "data");

    /// <summary>The pod template's one container of the DaemonSet or Deployment.</summary>
    public static YamlMappingNode Container(YamlMappingNode workload) =>
        Map(((YamlSequenceNode)Map(Map(Map(workload, "spec"), "template"), "spec")["containers"]).Children.Single());

    /// <summary>A node script or package binary from tests/tools (installed by tests/setup).</summary>
    public static Task<(int ExitCode, string Output, string Errors)> NodeAsync(string package, params string[] arguments)
    {
        RepositoryPaths.NodePackage(package);
        return ToolProcess.RunAsync("node", arguments, TimeSpan.FromMinutes(2), RepositoryPaths.TestTools);
    }
}
