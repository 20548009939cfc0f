using System.Text.Json.Nodes;
using AutoCapture.IntegrationTests.Support;
using YamlDotNet.RepresentationModel;

namespace AutoCapture.IntegrationTests.Infra;

/// <summary>
/// The images' Dockerfiles, checked without a registry (no image can be built or pulled here): dockerfilelint, and
/// what each image must be — multi-stage, the ASP.NET runtime, an unprivileged user, and the port its manifest probes.
/// </summary>
public sealed class DockerfileTests
{
    private static readonly string[] Names = ["collector.Dockerfile", "webhook.Dockerfile"];

    public static TheoryData<string> Dockerfiles => new(Names);

    public static TheoryData<string, string> Images => new()
    {
        { "collector.Dockerfile", "collector-daemonset.yaml" },
        { "webhook.Dockerfile", "webhook-app.yaml" },
    };

    private static async Task<JsonNode> LintAsync(string path)
    {
        var (exit, output, errors) = await InfraFiles.NodeAsync("dockerfilelint", "node_modules/dockerfilelint/bin/dockerfilelint", "-o", "json", path);
        // Its exit code counts the issues; a run that printed no report did not lint.
        Assert.True(output.Length > 0, $"dockerfilelint did not run ({exit}): {errors}");
        return JsonNode.Parse(output)!;
    }

    [Fact]
    public async Task Every_dockerfile_passes_dockerfilelint()
    {
        Assert.Equal(Names, Dockerfile.All().Select(Path.GetFileName));
        foreach (var path in Dockerfile.All())
        {
            var report = await LintAsync(path);
            Assert.True((int)report["totalIssues"]! == 0, $"{path}: {report.ToJsonString()}");
        }
    }

    [Fact]
    public async Task Dockerfilelint_catches_a_planted_mistake()
    {
        var broken = Path.Combine(Path.GetTempPath(), $"broken-{Guid.NewGuid():N}.Dockerfile");
        var text = await File.ReadAllTextAsync(Path.Combine(InfraFiles.Docker, "collector.Dockerfile"));
        await File.WriteAllTextAsync(broken, text.Replace("EXPOSE 7080", "EXPOSE 7080/http", StringComparison.Ordinal).Replace("dotnet/aspnet:10.0", "dotnet/aspnet", StringComparison.Ordinal));
        try
        {
            var issues = (await LintAsync(broken))["files"]![0]!["issues"]!.AsArray().Select(i => (string)i!["title"]!).ToList();
            Assert.Contains("Invalid Port Exposed", issues);
            Assert.Contains("Base Image Missing Tag", issues);
        }
        finally
        {
            File.Delete(broken);
        }
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Each_image_builds_with_the_sdk_and_runs_on_the_aspnet_runtime_as_an_unprivileged_user(string image)
    {
        var dockerfile = Dockerfile.Load(Path.Combine(InfraFiles.Docker, image));

        var stages = dockerfile.Arguments("FROM").ToList();
        Assert.Contains("mcr.microsoft.com/dotnet/sdk:10.0 AS build", stages);
        Assert.Equal("mcr.microsoft.com/dotnet/aspnet:10.0", stages[^1]);
        var final = dockerfile.FinalStage;
        Assert.Equal("USER $APP_UID", string.Join(' ', final.Where(i => i.Keyword == "USER").Select(i => $"{i.Keyword} {i.Arguments}")));
        Assert.Equal("--from=build /app .", Assert.Single(final, i => i.Keyword == "COPY").Arguments);
        Assert.DoesNotContain(final, i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet", StringComparison.Ordinal));

        // The build stages copy from the repository root (the build context): every source must exist there.
        foreach (var copy in dockerfile.Arguments("COPY").Where(a => !a.StartsWith("--from", StringComparison.Ordinal)))
        {
            var sources = copy.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..^1];
            Assert.All(sources, source => Assert.True(Path.Exists(Path.Combine(RepositoryPaths.Root, source)), $"{image}: COPY {source}: not in the repository"));
        }
    }

    [Fact]
    public void The_build_context_leaves_out_local_build_output()
    {
        // A local obj/project.assets.json names this machine's paths and would break the image's own restore.
        var ignored = File.ReadAllLines(Path.Combine(RepositoryPaths.Root, ".dockerignore"));

        Assert.Contains("**/bin", ignored);
        Assert.Contains("**/obj", ignored);
        Assert.Contains("**/node_modules", ignored);
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void Each_image_listens_on_the_port_its_manifest_exposes_and_probes(string image, string manifest)
    {
        var dockerfile = Dockerfile.Load(Path.Combine(InfraFiles.Docker, image));
        var workload = InfraFiles.LoadYaml(Path.Combine(InfraFiles.Kubernetes, manifest)).Select(d => InfraFiles.Map(d)).Single(d => d["kind"].ToString() is "DaemonSet" or "Deployment");
        var container = InfraFiles.Container(workload);
        var port = InfraFiles.Map(Assert.Single(InfraFiles.Items(container, "ports")));

        var exposed = Assert.Single(dockerfile.Arguments("EXPOSE"));
        Assert.Equal(exposed, port["containerPort"].ToString());
        Assert.Equal($"http://+:{exposed}", dockerfile.Environment()["ASPNETCORE_URLS"]);
        Assert.Equal(image.Replace(".Dockerfile", string.Empty, StringComparison.Ordinal), container["image"].ToString().Replace("autocapture-", string.Empty, StringComparison.Ordinal));
        foreach (var probe in new[] { "readinessProbe", "livenessProbe" })
        {
            var get = InfraFiles.Map(InfraFiles.Map(container, probe), "httpGet");
            Assert.Equal("/healthz", get["path"].ToString());
            Assert.Equal(port["name"].ToString(), get["port"].ToString());
        }

        Assert.False(container.Children.ContainsKey(new YamlScalarNode("args")), "the image's ASPNETCORE_URLS sets the address; args would override it");
    }
}
