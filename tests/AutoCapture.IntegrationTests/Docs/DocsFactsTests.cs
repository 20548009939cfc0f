using System.Diagnostics;
using System.Text.RegularExpressions;
using AutoCapture.Core.Storage.Blob;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Docs;

/// <summary>Facts the docs state that the code decides: checked against the code, so the docs cannot drift from it.</summary>
public sealed partial class DocsFactsTests
{
    private static string Read(string path) => File.ReadAllText(Path.Combine(RepositoryPaths.Root, path));

    [Fact]
    public void The_azurite_connection_string_for_another_port_is_the_one_the_store_itself_uses_for_azurite()
    {
        var documented = Read("docs/store.md").Split('\n').Single(l => l.StartsWith("DefaultEndpointsProtocol=", StringComparison.Ordinal));

        const string port = "41234";
        Assert.Equal(
            BlobClients.DevelopmentConnectionString(new Uri($"http://127.0.0.1:{port}/devstoreaccount1")),
            documented.Trim().Replace("<port>", port, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_relative_rules_file_is_looked_for_where_dotnet_run_starts_not_in_the_project_folder()
    {
        var scratch = Directory.CreateTempSubdirectory("autocapture-cwd-").FullName;
        try
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = scratch };
            foreach (var arg in new[] { "run", "--project", Path.Combine(RepositoryPaths.Root, "functions", "AutoCapture.Functions"), "-c", "Release", "--no-build" })
            {
                start.ArgumentList.Add(arg);
            }

            start.Environment["AutoCapture__RulesFile"] = "relative-rules.yaml";
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));

            // docs/configuration.md, "Relative paths": the working directory decides, also under dotnet run --project.
            Assert.Equal(2, process.ExitCode);
            Assert.Contains($"{Path.Combine(scratch, "relative-rules.yaml")}:0:0: cannot read the rules file", await error, StringComparison.Ordinal);
            Assert.Contains("`dotnet run --project functions/AutoCapture.Functions` does not change directory", Read("docs/configuration.md").ReplaceLineEndings(" "), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    [Fact]
    public void Every_artifact_the_collector_uploads_is_in_the_artifact_table()
    {
        var table = Read("docs/captures.md").Split("## What a capture produces")[1].Split("\n## ")[0];
        var documented = ArtifactNames(table);
        var uploaded = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "collector", "AutoCapture.Collector"), "*.cs", SearchOption.AllDirectories))
        {
            var code = File.ReadAllText(file);
            foreach (Match scratch in WorkFile().Matches(code))
            {
                if (code.Contains($"UploadAsync({scratch.Groups["variable"].Value},", StringComparison.Ordinal))
                {
                    uploaded.Add(Hole().Replace(scratch.Groups["name"].Value, "{}"));
                }
            }

            uploaded.UnionWith(DirectWrite().Matches(code).Select(m => m.Groups["name"].Value));
        }

        // A provider writing its files some other way would make this check vacuous: the known ones must be seen.
        Assert.Superset(new SortedSet<string>(["cpu.functions.json", "dump-{}.dmp", "{}.pb.gz", "summary.json"], StringComparer.Ordinal), uploaded);
        Assert.Empty(uploaded.Except(documented));
    }

    [Fact]
    public void No_page_points_outside_the_repository_to_the_shared_design_notes()
    {
        var pages = Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "docs"), "*.md").Append(Path.Combine(RepositoryPaths.Root, "README.md"));

        Assert.DoesNotContain(pages, p => File.ReadAllText(p).Contains("../shared", StringComparison.Ordinal));
    }

    /// <summary>File names in backticks in the table, with placeholders such as {pid} as {}.</summary>
    private static HashSet<string> ArtifactNames(string table) =>
        Backticked().Matches(table).Select(m => Hole().Replace(m.Groups["name"].Value, "{}")).ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex("""var (?<variable>\w+) = Path\.Combine\(context\.WorkDirectory, \$?"(?<name>[^"]+)"\)""")]
    private static partial Regex WorkFile();

    [GeneratedRegex("""WriteAsync\("(?<name>[^"]+\.\w+)",""")]
    private static partial Regex DirectWrite();

    [GeneratedRegex("`(?<name>[^`\\s]+\\.[a-z.]+)`")]
    private static partial Regex Backticked();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Hole();
}
