using System.Collections.Concurrent;
using System.Security.Cryptography;
using AutoCapture.Collector.Captures;
using AutoCapture.Core.Captures;

namespace AutoCapture.IntegrationTests.Dotnet;

/// <summary>Keeps artifacts in memory, with the size and SHA-256 a real sink would record.</summary>
public sealed class MemoryArtifactSink : IArtifactSink
{
    private readonly ConcurrentDictionary<string, (ArtifactInfo Info, byte[] Content)> artifacts = new();

    public IReadOnlyCollection<ArtifactInfo> Infos => artifacts.Values.Select(a => a.Info).ToList();

    public ArtifactInfo Info(string name) => artifacts[name].Info;

    public byte[] Content(string name) => artifacts[name].Content;

    public async Task<ArtifactInfo> WriteAsync(
        string name, string kind, string contentType, Stream content, CancellationToken cancellationToken)
    {
        using var copy = new MemoryStream();
        await content.CopyToAsync(copy, cancellationToken);
        var bytes = copy.ToArray();
        var info = new ArtifactInfo(name, kind, contentType, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        if (!artifacts.TryAdd(name, (info, bytes)))
        {
            throw new InvalidOperationException($"{name} written twice");
        }

        return info;
    }
}
