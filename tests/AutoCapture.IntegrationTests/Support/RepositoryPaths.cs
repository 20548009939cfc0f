namespace AutoCapture.IntegrationTests.Support;

public static class RepositoryPaths
{
    /// <summary>The repository root: the folder above the test binaries that holds AutoCapture.sln.</summary>
    public static string Root { get; } = FindRoot();

    public static string TestTools => Path.Combine(Root, "tests", "tools");

    /// <summary>An npm package installed by tests/setup, or a failure that says how to install it.</summary>
    public static string NodePackage(string package)
    {
        var path = Path.Combine(TestTools, "node_modules", package);
        if (!Directory.Exists(path))
        {
            throw new InvalidOperationException($"{path} is missing: run tests/setup (it runs npm ci in tests/tools).");
        }

        return path;
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AutoCapture.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No AutoCapture.sln above {AppContext.BaseDirectory}.");
    }
}
