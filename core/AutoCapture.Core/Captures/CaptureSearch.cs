using System.Globalization;
using System.Text;
using AutoCapture.Core.Storage;

namespace AutoCapture.Core.Captures;

/// <summary>What to look for. Names compare without regard to case; every filter given must hold.</summary>
public sealed record CaptureFilter
{
    public string? Alert { get; init; }
    public string? Host { get; init; }
    public string? Process { get; init; }
    public string? Rule { get; init; }
    public string? Source { get; init; }
    public CaptureStatus? Status { get; init; }

    /// <summary>Alert labels that must be present with exactly these values.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>Captures created at or after this instant.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Captures created at or before this instant.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>The filters blob index tags can answer, normalised as the tags are; the marker alone when there are none.</summary>
    public Dictionary<string, string> TagQuery()
    {
        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                query[name] = CaptureTags.Normalize(value);
            }
        }

        Add(CaptureTags.Alert, Alert);
        Add(CaptureTags.Host, Host);
        Add(CaptureTags.Process, Process);
        Add(CaptureTags.Rule, Rule);
        Add(CaptureTags.Source, Source);
        Add(CaptureTags.Status, Status is { } status ? CaptureTags.StatusName(status) : null);
        query[CaptureTags.Marker] = CaptureTags.MarkerValue;
        return query;
    }

    public bool HasTagFilter => Alert is not null || Host is not null || Process is not null || Rule is not null || Source is not null || Status is not null;

    public bool Matches(CaptureManifest manifest) =>
        Same(Alert, manifest.Alert.Name)
        && Same(Host, manifest.Target.Host)
        && Same(Process, CaptureTags.ProcessName(manifest))
        && Same(Rule, manifest.Rule)
        && Same(Source, manifest.Alert.Source)
        && (Status is null || Status == manifest.Status)
        && Labels.All(label => manifest.Alert.Labels.TryGetValue(label.Key, out var value) && value == label.Value)
        && (Since is null || manifest.CreatedAt >= Since)
        && (Until is null || manifest.CreatedAt <= Until);

    private static bool Same(string? wanted, string actual) => wanted is null || string.Equals(wanted, actual, StringComparison.OrdinalIgnoreCase);
}

/// <summary>One row of a capture listing: enough to pick a capture, without its summary.</summary>
public sealed record CaptureListItem(
    string Id,
    CaptureStatus Status,
    string Alert,
    string Source,
    string Rule,
    string Host,
    string Process,
    int? Pid,
    DateTimeOffset CreatedAt,
    DateTimeOffset? CompletedAt,
    IReadOnlyList<string> Kinds,
    int Artifacts,
    long Bytes,
    string? Reason)
{
    public static CaptureListItem From(CaptureManifest m) => new(
        m.Id,
        m.Status,
        m.Alert.Name,
        m.Alert.Source,
        m.Rule,
        m.Target.Host,
        CaptureTags.ProcessName(m),
        m.Process?.Pid ?? m.Target.Process.Pid,
        m.CreatedAt,
        m.CompletedAt,
        m.Captures.Count > 0 ? [.. m.Captures.Select(c => c.Kind)] : [.. m.Kinds.Select(k => k.Kind)],
        m.Artifacts.Count,
        m.Artifacts.Sum(a => a.Size),
        m.SkipReason ?? m.Error);
}

/// <param name="NextCursor">Pass it back for the next page; null when there is nothing more.</param>
/// <param name="SearchedSince">The oldest day the search covers (captures are filed by the day their alert started).</param>
/// <param name="ManifestsRead">How many manifests this page read: the cost of the filters that tags cannot answer.</param>
public sealed record CaptureListPage(IReadOnlyList<CaptureListItem> Captures, string? NextCursor, DateOnly? SearchedSince, int ManifestsRead);

/// <summary>
/// Finds captures newest first, a page at a time. Captures are filed by day (their id starts with the day their alert
/// started), so the search walks days backwards and, within a day, orders by creation time. Filters that index tags
/// answer (alert, host, process, rule, source, status) narrow the candidates with one tag query; without them the
/// day folders are listed, back <c>defaultDays</c> unless <see cref="CaptureFilter.Since"/> says otherwise. Label and
/// time filters are checked on the manifests read; a page stops after reading about <see cref="MaxReadsPerPage"/>
/// manifests and hands back a cursor, so no request is unbounded.
/// </summary>
public sealed class CaptureSearch(ManifestStore manifests, TimeProvider clock)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;
    public const int MaxReadsPerPage = 2000;

    /// <summary>Days a page walks at most, captures or not: a `since` years back must not list every empty day in one request.</summary>
    public const int MaxDaysPerPage = 400;

    /// <summary>
    /// No capture is older. Times and cursors before it are refused: the search reads the day before `since` and
    /// days before `until`, and a floor far from DateTime's first day keeps that day arithmetic in range.
    /// </summary>
    public static readonly DateTimeOffset Earliest = new(1000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private const int ReadParallelism = 8;

    public async Task<CaptureListPage> SearchAsync(CaptureFilter filter, int limit, string? cursor, int defaultDays, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxLimit);
        var position = cursor is null ? null : SearchCursor.Parse(cursor);
        var store = manifests.Store;
        var until = filter.Until ?? clock.GetUtcNow();
        var firstDay = DateOnly.FromDateTime(until.UtcDateTime);
        if (position is not null && position.Day < firstDay)
        {
            firstDay = position.Day;
        }

        var useTags = filter.HasTagFilter && store is ITaggedStore;
        // An alert that started the day before `since` may still have been captured after it.
        DateOnly? lastDay = filter.Since is { } since ? DateOnly.FromDateTime(since.UtcDateTime).AddDays(-1)
            : useTags ? null
            : firstDay.AddDays(-defaultDays);

        IEnumerable<(DateOnly Day, Func<Task<List<string>>> Ids)> days;
        if (useTags)
        {
            var byDay = new Dictionary<DateOnly, List<string>>();
            await foreach (var key in ((ITaggedStore)store).FindByTagsAsync(filter.TagQuery(), cancellationToken))
            {
                if (IdOf(key) is { } id && DayOf(id) is var day && day <= firstDay && (lastDay is null || day >= lastDay))
                {
                    (byDay.TryGetValue(day, out var list) ? list : byDay[day] = []).Add(id);
                }
            }

            days = byDay.OrderByDescending(d => d.Key).Select(d => (d.Key, (Func<Task<List<string>>>)(() => Task.FromResult(d.Value)))).ToList();
        }
        else
        {
            days = Walk(firstDay, lastDay!.Value).Select(day => (day, (Func<Task<List<string>>>)(() => ListDayAsync(store, day, cancellationToken))));
        }

        var found = new List<CaptureListItem>();
        var read = 0;
        var walked = 0;
        foreach (var (day, ids) in days)
        {
            if (read >= MaxReadsPerPage || walked++ >= MaxDaysPerPage)
            {
                return new CaptureListPage(found, SearchCursor.StartOf(day).Format(), lastDay, read);
            }

            var candidates = await ids();
            read += candidates.Count;
            var matches = (await ReadAllAsync(candidates, cancellationToken))
                .Where(filter.Matches)
                .Select(CaptureListItem.From)
                .OrderByDescending(c => c.CreatedAt)
                .ThenByDescending(c => c.Id, StringComparer.Ordinal)
                .Where(c => position is null || day != position.Day || position.IsBefore(c));
            foreach (var match in matches)
            {
                if (found.Count == limit)
                {
                    var last = found[^1];
                    return new CaptureListPage(found, new SearchCursor(DayOf(last.Id), last.CreatedAt, last.Id).Format(), lastDay, read);
                }

                found.Add(match);
            }
        }

        return new CaptureListPage(found, null, lastDay, read);
    }

    private static IEnumerable<DateOnly> Walk(DateOnly from, DateOnly downTo)
    {
        for (var day = from; day >= downTo; day = day.AddDays(-1))
        {
            yield return day;
        }
    }

    private static async Task<List<string>> ListDayAsync(IArtifactStore store, DateOnly day, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        await foreach (var item in store.ListAsync($"captures/{day:yyyy}/{day:MM}/{day:dd}/", cancellationToken))
        {
            if (item.Key.EndsWith("/manifest.json", StringComparison.Ordinal) && IdOf(item.Key) is { } id)
            {
                ids.Add(id);
            }
        }

        return ids;
    }

    private async Task<List<CaptureManifest>> ReadAllAsync(List<string> ids, CancellationToken cancellationToken)
    {
        var read = new CaptureManifest?[ids.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, ids.Count),
            new ParallelOptions { MaxDegreeOfParallelism = ReadParallelism, CancellationToken = cancellationToken },
            async (i, token) =>
            {
                try
                {
                    read[i] = await manifests.ReadAsync(ids[i], token);
                }
                catch (StoreException)
                {
                    // A damaged manifest must not hide every other capture of its day; `show` reports it by id.
                }
            });
        return [.. read.OfType<CaptureManifest>()];
    }

    /// <summary>The capture id in a manifest key (<c>captures/yyyy/MM/dd/{id}/manifest.json</c>), or null for any other key.</summary>
    private static string? IdOf(string key)
    {
        var parts = key.Split('/');
        return parts is ["captures", _, _, _, var id, "manifest.json"] && CaptureIds.IsValid(id) ? id : null;
    }

    private static DateOnly DayOf(string captureId) => DateOnly.ParseExact(captureId[..8], "yyyyMMdd", CultureInfo.InvariantCulture);
}

/// <summary>Where a listing stopped: a day, and within it the last capture returned (none: the day's start).</summary>
internal sealed record SearchCursor(DateOnly Day, DateTimeOffset? CreatedAt, string? Id)
{
    public static SearchCursor StartOf(DateOnly day) => new(day, null, null);

    /// <summary>Whether <paramref name="item"/> comes after this position in newest-first order.</summary>
    public bool IsBefore(CaptureListItem item) =>
        CreatedAt is not { } at || item.CreatedAt < at || (item.CreatedAt == at && string.CompareOrdinal(item.Id, Id) < 0);

    public string Format()
    {
        var text = $"1|{Day:yyyyMMdd}|{CreatedAt?.UtcTicks.ToString(CultureInfo.InvariantCulture)}|{Id}";
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <exception cref="FormatException">The cursor is not one this search handed out.</exception>
    public static SearchCursor Parse(string cursor)
    {
        string text;
        try
        {
            var base64 = cursor.Replace('-', '+').Replace('_', '/');
            text = Encoding.UTF8.GetString(Convert.FromBase64String(base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=')));
        }
        catch (FormatException)
        {
            throw new FormatException("the cursor is not one a listing handed out");
        }

        var parts = text.Split('|');
        if (parts.Length != 4 || parts[0] != "1"
            || !DateOnly.TryParseExact(parts[1], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            || day < DateOnly.FromDateTime(CaptureSearch.Earliest.UtcDateTime))
        {
            throw new FormatException("the cursor is not one a listing handed out");
        }

        if (parts[2].Length == 0 && parts[3].Length == 0)
        {
            return StartOf(day);
        }

        if (!long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) || ticks > DateTimeOffset.MaxValue.UtcTicks || !CaptureIds.IsValid(parts[3]))
        {
            throw new FormatException("the cursor is not one a listing handed out");
        }

        return new SearchCursor(day, new DateTimeOffset(ticks, TimeSpan.Zero), parts[3]);
    }
}
