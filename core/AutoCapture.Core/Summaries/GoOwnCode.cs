namespace AutoCapture.Core.Summaries;

/// <summary>Where a Go package's code came from (see <see cref="OwnCode.GoOrigin"/>).</summary>
public enum GoCodeOrigin
{
    /// <summary>The main module: the program's own code.</summary>
    Own,

    /// <summary>A third-party module, from the module cache or vendored.</summary>
    Library,

    /// <summary>The standard library and the runtime.</summary>
    Standard,
}

/// <summary>
/// Go own code as a capture's evidence decides it: a package whose source files a profile or dump placed in a
/// dependency (<see cref="OwnCode.GoOrigin"/>) is not the program's, whatever its name; with the main module's path
/// from the binary's build information, own code is that module's packages; without it (a target known only by its
/// address, a summary written before either was recorded) names decide the rest (<see cref="OwnCode.IsOwnGoFrame"/>).
/// </summary>
public sealed class GoOwnCode
{
    private readonly HashSet<string> libraries;

    private GoOwnCode(string? mainModule, IEnumerable<string> libraries)
    {
        MainModule = mainModule;
        this.libraries = new HashSet<string>(libraries, StringComparer.Ordinal);
    }

    /// <summary>The main module's path (<c>example.com/shop</c>), when the binary's build information gave it.</summary>
    public string? MainModule { get; }

    /// <summary>
    /// Packages that would count as own by the rules above whose files are a dependency's, sorted, or null when there
    /// are none: what <see cref="CaptureSummary.GoLibraries"/> records so later readers decide as the collector did.
    /// </summary>
    public IReadOnlyList<string>? Libraries => libraries.Count > 0 ? [.. libraries.Order(StringComparer.Ordinal)] : null;

    /// <summary>From functions and the source file each is in (null when unknown), as a profile or dump gives them.</summary>
    public static GoOwnCode FromFiles(IEnumerable<(string Function, string? File)> functions, string? mainModule)
    {
        var byModule = new GoOwnCode(mainModule, []);
        return new(mainModule, functions
            .Where(f => byModule.IsOwn(f.Function) && OwnCode.GoOrigin(OwnCode.GoPackage(f.Function), f.File) == GoCodeOrigin.Library)
            .Select(f => OwnCode.GoPackage(f.Function)));
    }

    /// <summary>From what the summaries recorded, together (a diff's two sides, the first's main module first).</summary>
    public static GoOwnCode For(params CaptureSummary?[] summaries) => new(
        summaries.Select(s => s?.GoMainModule).FirstOrDefault(m => m is not null),
        summaries.SelectMany(s => s?.GoLibraries ?? []));

    public bool IsOwn(string function)
    {
        var package = OwnCode.GoPackage(function);
        return !libraries.Contains(package) && (MainModule is null
            ? OwnCode.IsOwnGoFrame(function)
            : package == "main" || package == MainModule || package.StartsWith(MainModule + "/", StringComparison.Ordinal));
    }
}
