using AutoCapture.Core.Captures;
using AutoCapture.Core.Summaries;

namespace AutoCapture.Functions.Chat;

/// <summary>The comparison with the baseline, in the words a chat message leads with.</summary>
public static class DiffFindings
{
    public const int MaxHeadlines = 5;

    public static IEnumerable<string> For(CaptureDiff? diff)
    {
        if (diff is null)
        {
            yield break;
        }

        var baseline = diff.Basis switch
        {
            BaselineMark.Peer => $"peer {diff.BaselineTarget}",
            BaselineMark.Schedule => "the scheduled baseline",
            _ => $"baseline {diff.BaselineTarget}",
        };
        var when = diff.BaselineCompletedAt is { } at ? $" of {at.UtcDateTime:yyyy-MM-dd HH:mm}Z" : string.Empty;
        var verdict = diff.Headlines.Count > 0 ? "what changed:" : diff.Notes.Count > 0 ? "nothing compared." : "no notable change.";
        yield return $"Compared with {baseline} (capture {diff.BaselineId}{when}), {verdict}";
        foreach (var headline in diff.Headlines.Take(MaxHeadlines))
        {
            yield return $"  {headline}";
        }

        if (diff.Headlines.Count == 0)
        {
            foreach (var note in diff.Notes.Take(2))
            {
                yield return $"  {note}";
            }
        }
    }
}
