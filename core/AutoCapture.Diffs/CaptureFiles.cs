using System.Security.Cryptography;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;

namespace AutoCapture.Diffs;

/// <summary>One capture as a diff reads it: its manifest, and its artifacts by name.</summary>
public interface ICaptureFiles
{
    CaptureManifest Manifest { get; }

    /// <summary>Opens an artifact the manifest lists; null when it lists none of that name or it is gone.</summary>
    Task<Stream?> OpenAsync(string artifactName, CancellationToken cancellationToken);
}

/// <summary>Where a diff puts what it writes (next to the capture in the store, or a folder for the CLI).</summary>
public interface IDiffArtifactWriter
{
    /// <param name="write">Writes the content; the writer records its size and SHA-256.</param>
    Task<ArtifactInfo> WriteAsync(string name, string contentType, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken);
}

/// <summary>A capture's artifacts in the store.</summary>
public sealed class StoreCaptureFiles(IArtifactStore store, CaptureManifest manifest) : ICaptureFiles
{
    public CaptureManifest Manifest => manifest;

    public async Task<Stream?> OpenAsync(string artifactName, CancellationToken cancellationToken)
    {
        if (manifest.Artifacts.All(a => a.Name != artifactName))
        {
            return null;
        }

        var stored = await store.OpenReadAsync(CaptureIds.ArtifactKey(manifest.Id, artifactName), cancellationToken);
        return stored?.Content;
    }
}

/// <summary>
/// Writes diff artifacts next to a capture's own in the store. Each goes to a scratch file first, so its size and hash
/// are known and memory stays bounded whatever its size, then streams up; readers never see a partial object.
/// </summary>
public sealed class StoreDiffArtifactWriter(IArtifactStore store, string captureId) : IDiffArtifactWriter
{
    private readonly List<ArtifactInfo> written = [];

    /// <summary>What has been written so far, to list on the capture's manifest.</summary>
    public IReadOnlyList<ArtifactInfo> Written => written;

    public async Task<ArtifactInfo> WriteAsync(string name, string contentType, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var scratch = Path.Combine(Path.GetTempPath(), $"autocapture-diff-{Guid.NewGuid():N}");
        try
        {
            await using (var file = new FileStream(scratch, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await write(file, cancellationToken);
            }

            string sha256;
            await using (var file = File.OpenRead(scratch))
            {
                sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken));
            }

            await using (var file = File.OpenRead(scratch))
            {
                var written = await store.WriteAsync(CaptureIds.ArtifactKey(captureId, name), file, WriteCondition.None, cancellationToken);
                if (!written.Written)
                {
                    throw new StoreException($"{name} of capture {captureId} was not written to {store.Description}");
                }
            }

            var info = new ArtifactInfo(name, DiffArtifacts.Kind, contentType, new FileInfo(scratch).Length, sha256);
            written.Add(info);
            return info;
        }
        finally
        {
            File.Delete(scratch);
        }
    }
}

/// <summary>Writes diff artifacts into a local folder (the CLI's <c>--out</c>).</summary>
public sealed class FolderDiffArtifactWriter(string folder) : IDiffArtifactWriter
{
    public async Task<ArtifactInfo> WriteAsync(string name, string contentType, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name);
        await using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            await write(file, cancellationToken);
        }

        await using var read = File.OpenRead(path);
        return new ArtifactInfo(name, DiffArtifacts.Kind, contentType, read.Length, Convert.ToHexStringLower(await SHA256.HashDataAsync(read, cancellationToken)));
    }
}
