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
        var verified = new List<ArtifactInfo>();
        var problems = new List<string>();
        foreach (var artifact in artifacts)
        {
            if (!ArtifactNames.IsValid(artifact.Name))
            {
                problems.Add($"artifact name '{artifact.Name}' is not valid; not listed");
                continue;
            }

            await using var stored = await store.OpenReadAsync(CaptureIds.ArtifactKey(captureId, artifact.Name), cancellationToken);
            if (stored is null)
            {
                problems.Add($"artifact {artifact.Name} is not in the store; not listed");
                continue;
            }

            if (stored.Size != artifact.Size)
            {
                problems.Add($"artifact {artifact.Name} is {stored.Size} bytes in the store, not the {artifact.Size} reported; not listed");
                continue;
            }

            if (artifact.Size <= options.Value.Housekeeping.VerifyMaxBytes)
            {
                var hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(stored.Content, cancellationToken));
                if (hash != artifact.Sha256)
                {
                    problems.Add($"artifact {artifact.Name} does not match its SHA-256 in the store; not listed");
                    continue;
                }
            }

            verified.Add(artifact);
        }

        return (verified, problems);
    }
}
