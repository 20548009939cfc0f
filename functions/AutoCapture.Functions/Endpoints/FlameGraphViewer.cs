using AutoCapture.Core.Captures;
using Microsoft.Extensions.FileProviders;

namespace AutoCapture.Functions.Endpoints;

/// <summary>
/// speedscope, self-hosted at <c>/api/viewer/</c> from the app's own output, so the capture page can embed it and it
/// can fetch the profile from the same origin (<c>#profileURL=</c>) under a same-origin CSP. It opens speedscope's
/// JSON and pprof protobufs (gzipped or not).
/// </summary>
public static class FlameGraphViewer
{
    public const string RequestPath = "/api/viewer";

    // The viewer's own policy: same-origin everything, like every page, except that the capture page (same origin)
    // may frame it; speedscope's CSS-in-JS injects <style> elements ('unsafe-inline' for styles only), and it compiles
    // its bundled WebAssembly (the JFR importer) at start ('wasm-unsafe-eval' allows WebAssembly, not JavaScript eval).
    private const string ViewerPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'";

    /// <summary>A stable address for the viewer's icon (its file name carries a content hash), used by the capture page too.</summary>
    public const string IconPath = RequestPath + "/favicon.ico";

    public static string Folder { get; } = Path.Combine(AppContext.BaseDirectory, "speedscope");

    public static bool IsInstalled => File.Exists(Path.Combine(Folder, "index.html"));

    public static bool CanOpen(ArtifactInfo artifact) =>
        artifact.Name.EndsWith(".speedscope.json", StringComparison.Ordinal)
        || artifact.Name.EndsWith(".pb.gz", StringComparison.Ordinal)
        || artifact.Name.EndsWith(".pprof", StringComparison.Ordinal);

    /// <summary>The viewer's address opening <paramref name="profileUrl"/> (a same-origin path with its link token).</summary>
    // Left Heavy merges identical stacks and puts the heaviest first, so a hot loop reads as one wide bar; speedscope's
    // default, Time Order, shows it as a row of slivers too thin to name.
    public static string ViewerUrl(string profileUrl, string title) =>
        $"{RequestPath}/index.html#profileURL={Uri.EscapeDataString(profileUrl)}&title={Uri.EscapeDataString(title)}&view=left-heavy";

    /// <summary>Middleware rather than endpoints, so the Functions worker's Viewer function can run the same pipeline (<see cref="FunctionsHost.WorkerFunctions"/>).</summary>
    public static IApplicationBuilder UseFlameGraphViewer(this IApplicationBuilder app)
    {
        if (!IsInstalled)
        {
            return app;
        }

        if (Directory.EnumerateFiles(Folder, "favicon-*.ico").FirstOrDefault() is { } icon)
        {
            app.Use((context, next) => context.Request.Path == IconPath ? Results.File(icon, "image/x-icon").ExecuteAsync(context) : next(context));
        }

        return app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new PhysicalFileProvider(Folder),
            RequestPath = RequestPath,
            OnPrepareResponse = context =>
            {
                context.Context.Response.Headers.ContentSecurityPolicy = ViewerPolicy;
                context.Context.Response.Headers.CacheControl = "public, max-age=3600";
            },
        });
    }
}
