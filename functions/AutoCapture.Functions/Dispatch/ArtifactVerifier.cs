using System.Security.Cryptography;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.Functions.Options;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Dispatch;

/// <summary>
/// Checks the artifacts a collector reports against the store before the manifest lists them: each must be
/// there with the reported size, and — up to <see cref="HousekeepingOptions.VerifyMaxBytes"/> — the reported
/// SHA-256, recomputed from the stored bytes. Larger artifacts rest on the store's own all-or-nothing upload
/// (rename into place, or a block list committed last with per-block MD5) and the size.
/// </summary>
public sealed class ArtifactVerifier(IArtifactStore store, IOptions<AutoCaptureOptions> options)
{
    public async Task<(IReadOnlyList<ArtifactInfo> Verified, IReadOnlyList<string> Problems)> VerifyAsync(string captureId, IReadOnlyList<ArtifactInfo> artifacts, CancellationToken cancellationToken)
    {
        // All at once: a capture has a handful of artifacts, and the chat message waits for the last of them.
        var found = await Task.WhenAll(artifacts.Select(artifact => ProblemAsync(captureId, artifact, cancellationToken)));
        var verified = artifacts.Where((_, i) => found[i] is null).ToList();
        var problems = found.OfType<string>().Select(problem => $"{problem}; not listed").ToList();
        return (verified, problems);
    }

    /// <summary>What is wrong with a listed artifact in the store, or null when it is there as listed.</summary>
    public async Task<string?> ProblemAsync(string captureId, ArtifactInfo artifact, CancellationToken cancellationToken)
    {
        if (!ArtifactNames.IsValid(artifact.Name))
        {
            return $"artifact name '{artifact.Name}' is not valid";
        }

        await using var stored = await store.OpenReadAsync(CaptureIds.ArtifactKey(captureId, artifact.Name), cancellationToken);
        if (stored is null)
        {
            return $"artifact {artifact.Name} is not in the store";
        }

        if (stored.Size != artifact.Size)
        {
            return $"artifact {artifact.Name} is {stored.Size} bytes in the store, not the {artifact.Size} reported";
        }

        if (artifact.Size <= options.Value.Housekeeping.VerifyMaxBytes
            && Convert.ToHexStringLower(await SHA256.HashDataAsync(stored.Content, cancellationToken)) != artifact.Sha256)
        {
            return $"artifact {artifact.Name} does not match its SHA-256 in the store";
        }

        return null;
    }
}
