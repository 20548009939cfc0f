using AutoCapture.Core.Captures;
using AutoCapture.Core.Security;
using AutoCapture.Core.Storage;
using AutoCapture.Functions.Options;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Links;

/// <summary>
/// Addresses this app hands out: the collectors' completion callback and expiring links for chat. Artifact
/// links go straight to the store when it can sign them (blob storage with an account key or Entra ID: a
/// read-only SAS for that one blob), so large downloads never pass through this app; otherwise they are
/// signed links to this app's download endpoint.
/// </summary>
public sealed class PublicUrls(IOptions<AutoCaptureOptions> options, IServer server, IArtifactStore store, TimeProvider clock)
{
    private readonly LinkSigner _links = new(options.Value.Links.SigningKey!, clock);
    private string? _baseUrl;
    private DateTimeOffset? _notAfter;

    public string BaseUrl => _baseUrl ??= (options.Value.PublicBaseUrl ?? ListeningAddress()).TrimEnd('/');

    public string CompletionUrl(string captureId) => $"{BaseUrl}/api/captures/{captureId}/complete";

    public string ProgressUrl(string captureId) => $"{BaseUrl}/api/captures/{captureId}/progress";

    public string CapturePage(string captureId) =>
        $"{BaseUrl}/api/captures/{captureId}?token={Uri.EscapeDataString(_links.CreateToken(captureId, LinkSigner.CapturePage, options.Value.Links.Lifetime))}";

    public string Artifact(string captureId, string name) =>
        (store as IReadLinks)?.TryCreateReadLink(CaptureIds.ArtifactKey(captureId, name), ArtifactLifetime, null, name)?.AbsoluteUri
        ?? $"{BaseUrl}/api/captures/{captureId}/artifacts/{name}?token={Uri.EscapeDataString(_links.CreateToken(captureId, name, ArtifactLifetime))}";

    /// <summary>A same-origin path to an artifact through this app (never a store SAS URL), for the embedded viewer to fetch.</summary>
    public string AppArtifactPath(string captureId, string name) =>
        $"/api/captures/{captureId}/artifacts/{name}?token={Uri.EscapeDataString(_links.CreateToken(captureId, name, ArtifactLifetime))}";

    /// <summary>
    /// These addresses with artifact links that expire no later than <paramref name="notAfter"/>: links minted from a page
    /// opened with a signed link, so re-opening the page cannot extend access beyond that link's own expiry.
    /// </summary>
    public PublicUrls NotAfter(DateTimeOffset notAfter)
    {
        var bounded = (PublicUrls)MemberwiseClone();
        bounded._notAfter = notAfter;
        return bounded;
    }

    private TimeSpan ArtifactLifetime =>
        _notAfter is { } notAfter && notAfter - clock.GetUtcNow() is var left && left < options.Value.Links.Lifetime ? left : options.Value.Links.Lifetime;

    public LinkVerdict Verify(string captureId, string artifactName, string? token) => _links.Verify(captureId, artifactName, token);

    private string ListeningAddress()
    {
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("AutoCapture:PublicBaseUrl is not set and the server has no listening address yet.");
        // Wildcard bindings are not addresses anyone can call back; localhost is right for the standalone case.
        return address.Replace("://+", "://localhost", StringComparison.Ordinal)
            .Replace("://*", "://localhost", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal)
            .Replace("://[::]", "://localhost", StringComparison.Ordinal);
    }
}
