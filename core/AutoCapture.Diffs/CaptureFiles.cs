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
            string sha256;
            await using (var file = new FileStream(scratch, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                sha256 = await HashedWrite.ToAsync(file, write, cancellationToken);
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
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        var sha256 = await HashedWrite.ToAsync(file, write, cancellationToken);
        return new ArtifactInfo(name, DiffArtifacts.Kind, contentType, file.Length, sha256);
    }
}

/// <summary>Writes an artifact and hashes it in the same pass, rather than reading the file back to hash it.</summary>
internal static class HashedWrite
{
    /// <returns>The lowercase hex SHA-256 of what <paramref name="write"/> wrote to <paramref name="file"/>.</returns>
    public static async Task<string> ToAsync(Stream file, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        using var sha256 = SHA256.Create();
        await using (var hashing = new CryptoStream(file, sha256, CryptoStreamMode.Write, leaveOpen: true))
        {
            await write(hashing, cancellationToken);
        }

        return Convert.ToHexStringLower(sha256.Hash!);
    }
}
