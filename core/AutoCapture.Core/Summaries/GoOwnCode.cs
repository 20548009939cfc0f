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
/// dependency (<see cref="OwnCode.GoOrigin"/>) is not the program's, whatever its name; every other function is judged
/// by its name (<see cref="OwnCode.IsOwnGoFrame"/>), which is all there is for a summary written before the evidence
/// was recorded or a profile without file names.
/// </summary>
public sealed class GoOwnCode
{
    private readonly HashSet<string> libraries;

    private GoOwnCode(IEnumerable<string> libraries) => this.libraries = new HashSet<string>(libraries, StringComparer.Ordinal);

    /// <summary>
    /// Packages named like an application's (the name rule would count them as own) whose files are a dependency's,
    /// sorted, or null when there are none: what <see cref="CaptureSummary.GoLibraries"/> records so later readers
    /// decide as the collector did.
    /// </summary>
    public IReadOnlyList<string>? Libraries => libraries.Count > 0 ? [.. libraries.Order(StringComparer.Ordinal)] : null;

    /// <summary>From functions and the source file each is in (null when unknown), as a profile or dump gives them.</summary>
    public static GoOwnCode FromFiles(IEnumerable<(string Function, string? File)> functions) => new(functions
        .Where(f => OwnCode.IsOwnGoFrame(f.Function) && OwnCode.GoOrigin(OwnCode.GoPackage(f.Function), f.File) == GoCodeOrigin.Library)
        .Select(f => OwnCode.GoPackage(f.Function)));

    /// <summary>From what the summaries recorded, together (a diff's two sides); none recorded: names alone.</summary>
    public static GoOwnCode For(params CaptureSummary?[] summaries) =>
        new(summaries.SelectMany(s => s?.GoLibraries ?? []));

    public bool IsOwn(string function) => OwnCode.IsOwnGoFrame(function) && !libraries.Contains(OwnCode.GoPackage(function));
}
