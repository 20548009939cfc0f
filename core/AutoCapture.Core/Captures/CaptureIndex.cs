using System.Text;
using AutoCapture.Core.Storage;

namespace AutoCapture.Core.Captures;

/// <summary>
/// The index tags every manifest carries, so captures can be found by alert, host, process, rule, status and
/// source without reading manifests (blob index tags on Azure, the folder store's tag index locally). Values are
/// normalised to what blob index tags accept — lower case, at most 256 characters of letters, digits and
/// <c>space + - . / : = _</c>, anything else (and an empty value) becoming <c>_</c> — so a tag match is only a candidate: searches
/// check the manifest itself before returning it.
/// </summary>
public static class CaptureTags
{
    public const string Marker = "autocapture";
    public const string MarkerValue = "manifest";
    public const string Alert = "alert";
    public const string Host = "host";
    public const string Process = "process";
    public const string Rule = "rule";
    public const string Status = "status";
    public const string Source = "source";

    public static Dictionary<string, string> For(CaptureManifest manifest) => new(StringComparer.Ordinal)
    {
        [Marker] = MarkerValue,
        [Alert] = Normalize(manifest.Alert.Name),
        [Host] = Normalize(manifest.Target.Host),
        [Process] = Normalize(ProcessName(manifest)),
        [Rule] = Normalize(manifest.Rule),
        [Status] = Normalize(StatusName(manifest.Status)),
        [Source] = Normalize(manifest.Alert.Source),
    };

    /// <summary>The process a capture is about, by name: the one the collector resolved, else the rule's selector.</summary>
    public static string ProcessName(CaptureManifest manifest) =>
        manifest.Process?.Name ?? manifest.Target.Process.Name ?? string.Empty;

    public static string StatusName(CaptureStatus status) => status.ToString().ToLowerInvariant();

    public static string Normalize(string value)
    {
        var builder = new StringBuilder(Math.Min(value.Length, StoreAnnotations.MaxTagValueLength));
        foreach (var c in value)
        {
            if (builder.Length == StoreAnnotations.MaxTagValueLength)
            {
                break;
            }

            var lower = char.ToLowerInvariant(c);
            builder.Append(char.IsAsciiLetterOrDigit(lower) || lower is ' ' or '+' or '-' or '.' or '/' or ':' or '=' or '_' ? lower : '_');
        }

        // Nothing is '_' too: Azurite refuses the empty tag element the blob SDK sends for an empty value.
        return builder.Length == 0 ? "_" : builder.ToString();
    }
}

/// <summary>
/// Keeps a manifest's index tags in step with its content. Writing an object clears its tags (as blob storage
/// does), so every manifest write is followed by <see cref="IndexAsync"/>. Concurrent writers cannot leave stale
/// tags behind: tags are derived from the version read, and if the manifest changed by the time they are set, the
/// newer version is indexed again; the last writer's pass always ends with tags that match what is stored.
/// </summary>
public sealed class CaptureIndex(IArtifactStore store)
{
    private const int MaxRounds = 5;

    public bool IsAvailable => store is ITaggedStore;

    /// <summary>Tags the capture's manifest as it is now; false if the store has no tags or the manifest is gone.</summary>
    public async Task<bool> IndexAsync(string captureId, CancellationToken cancellationToken)
    {
        if (store is not ITaggedStore tagged)
        {
            return false;
        }

        var key = CaptureIds.ManifestKey(captureId);
        for (var round = 0; round < MaxRounds; round++)
        {
            var current = await store.ReadAsync<CaptureManifest>(key, cancellationToken);
            if (current is not { } read || !await tagged.SetTagsAsync(key, CaptureTags.For(read.Value), cancellationToken))
            {
                return false;
            }

            if (await CurrentETagAsync(key, cancellationToken) == read.ETag)
            {
                return true;
            }
        }

        // Still changing after several rounds: whoever keeps writing it indexes it after their own write.
        return false;
    }

    private async Task<string?> CurrentETagAsync(string key, CancellationToken cancellationToken)
    {
        await using var stored = await store.OpenReadAsync(key, cancellationToken);
        return stored?.ETag;
    }
}
