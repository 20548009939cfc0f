using System.Runtime.CompilerServices;
using AutoCapture.Core.Storage;

namespace AutoCapture.Core.Captures;

/// <summary>
/// The captures that are not settled yet: started (or skipped with a chat notice) but not yet terminal with their
/// message out. Housekeeping walks this index instead of date folders, because a capture's folder comes from its
/// alert's <c>startsAt</c>, which can be weeks old. A capture is opened before its manifest is written and settled
/// only once it is terminal and nothing more is owed to chat, so no capture can fall out of housekeeping's sight.
/// </summary>
public sealed class OpenCaptures(IArtifactStore store)
{
    public const string Prefix = "state/open/";

    public static string Key(string captureId) =>
        CaptureIds.IsValid(captureId) ? $"{Prefix}{captureId}.json" : throw new ArgumentException($"'{captureId}' is not a capture id.", nameof(captureId));

    /// <summary>Opens the capture; opening an open capture again changes nothing.</summary>
    public async Task OpenAsync(string captureId, DateTimeOffset at, CancellationToken cancellationToken) =>
        await store.WriteJsonAsync(Key(captureId), new OpenMark(at), WriteCondition.IfAbsent, cancellationToken);

    public async Task SettleAsync(string captureId, CancellationToken cancellationToken) =>
        await store.DeleteAsync(Key(captureId), cancellationToken);

    /// <summary>Every open capture, with the time its mark was last written.</summary>
    public async IAsyncEnumerable<OpenCapture> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in store.ListAsync(Prefix, cancellationToken))
        {
            var name = item.Key[Prefix.Length..];
            if (name.EndsWith(".json", StringComparison.Ordinal) && CaptureIds.IsValid(name[..^5]))
            {
                yield return new OpenCapture(name[..^5], item.LastModified);
            }
        }
    }

    private sealed record OpenMark(DateTimeOffset OpenedAt);
}

public sealed record OpenCapture(string CaptureId, DateTimeOffset Since);
