using System.Security.Cryptography;
using AutoCapture.Core.Captures;

namespace AutoCapture.Cli.Captures;

public sealed record DownloadOutcome(ArtifactInfo Artifact, string Path, bool Verified, string? Problem);

/// <summary>
/// Downloads a capture's artifacts into a folder, hashing while writing: a file whose size or SHA-256 differs from
/// the manifest is not kept (its partial download is removed), and the outcome says so. Files land under their
/// final name only once verified.
/// </summary>
internal sealed class ArtifactDownloader(CaptureApiClient api)
{
    private const int BufferSize = 128 * 1024;

    /// <param name="progress">Told the bytes written so far, as they are written.</param>
    public async Task<DownloadOutcome> DownloadAsync(string captureId, ArtifactInfo artifact, string folder, Action<long> progress, CancellationToken cancellationToken)
    {
        var path = Path.Combine(folder, artifact.Name);
        var partial = path + ".part";
        using var response = await api.OpenArtifactAsync(captureId, artifact.Name, cancellationToken);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long written = 0;
        await using (var source = await response.Content.ReadAsStreamAsync(cancellationToken))
        await using (var target = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, BufferSize, FileOptions.Asynchronous))
        {
            var buffer = new byte[BufferSize];
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                written += read;
                progress(written);
            }
        }

        var sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
        string? problem = null;
        if (written != artifact.Size)
        {
            problem = $"size mismatch: the manifest says {artifact.Size} bytes, {written} arrived";
        }
        else if (!string.Equals(sha256, artifact.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            problem = $"checksum mismatch: the manifest says SHA-256 {artifact.Sha256}, the download is {sha256}";
        }

        if (problem is not null)
        {
            File.Delete(partial);
            return new DownloadOutcome(artifact, path, false, problem);
        }

        File.Move(partial, path, overwrite: true);
        return new DownloadOutcome(artifact, path, true, null);
    }
}
