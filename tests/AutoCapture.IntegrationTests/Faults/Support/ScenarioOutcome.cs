using System.Text.Json;
using AutoCapture.Core.Captures;

namespace AutoCapture.IntegrationTests.Faults.Support;

/// <summary>One row of the reliability table (docs/reliability.md).</summary>
public sealed record ScenarioRow(string Scenario, string Store, int AlertsSent, int CapturesExpected, int Completed, int FailedWithReason, int Lost, int Duplicate);

/// <summary>What became of a scenario's alerts, and everything found wrong on the way.</summary>
public sealed record ScenarioOutcome(
    ScenarioRow Row,
    IReadOnlyList<string> Problems,
    IReadOnlyDictionary<string, CaptureManifest?> Manifests,
    IReadOnlyDictionary<string, int> CollectorRuns,
    IReadOnlyList<string> FailureReasons,
    FaultWorld World)
{
    public CaptureManifest Manifest(string captureId) => Manifests[captureId] ?? throw new InvalidOperationException($"capture {captureId} has no manifest");

    /// <summary>
    /// The promise every scenario checks: nothing lost, nothing duplicated, every capture ended, and as many
    /// completed as the fault allows. Records the row for the table first, so a failing scenario is in it too.
    /// </summary>
    public void AssertKept(int expectedCompleted, int expectedFailedWithReason)
    {
        ReliabilityTable.Record(this);
        var detail = $"{Row}\nproblems: {(Problems.Count == 0 ? "none" : string.Join("\n  ", Problems))}\nreasons: {string.Join(" | ", FailureReasons)}\nlogs: {World.Logs}";
        Assert.True(Problems.Count == 0, detail);
        Assert.True(Row.Lost == 0 && Row.Duplicate == 0, detail);
        Assert.True(Row.Completed == expectedCompleted && Row.FailedWithReason == expectedFailedWithReason, $"expected {expectedCompleted} completed and {expectedFailedWithReason} failed with a reason\n{detail}");
    }
}

/// <summary>
/// Collects the scenarios' rows from one test run into <c>reliability/table.md</c> under the test output, the
/// table docs/reliability.md is copied from.
/// </summary>
public static class ReliabilityTable
{
    private static readonly Lock Gate = new();
    private static bool _cleared;

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "reliability");

    public static void Record(ScenarioOutcome outcome)
    {
        lock (Gate)
        {
            var rows = Path.Combine(Directory, "rows");
            if (!_cleared && System.IO.Directory.Exists(rows))
            {
                // Rows of an earlier run must not mix with this one's.
                System.IO.Directory.Delete(rows, recursive: true);
            }

            _cleared = true;
            System.IO.Directory.CreateDirectory(rows);
            var row = outcome.Row;
            var file = Path.Combine(rows, $"{Slug(row.Scenario)}-{row.Store.ToLowerInvariant()}.json");
            File.WriteAllText(file, JsonSerializer.Serialize(new RecordedRow(row, outcome.FailureReasons.Distinct().ToList(), DateTimeOffset.UtcNow)));
            var all = System.IO.Directory.EnumerateFiles(rows, "*.json")
                .Select(f => JsonSerializer.Deserialize<RecordedRow>(File.ReadAllText(f))!)
                .OrderBy(r => r.Row.Scenario, StringComparer.Ordinal).ThenBy(r => r.Row.Store, StringComparer.Ordinal)
                .ToList();
            File.WriteAllLines(Path.Combine(Directory, "table.md"), Render(all));
        }
    }

    private static IEnumerable<string> Render(IReadOnlyList<RecordedRow> rows)
    {
        yield return "| scenario | store | alerts sent | captures expected | completed | failed with reason | lost | duplicate | reasons given |";
        yield return "|---|---|---:|---:|---:|---:|---:|---:|---|";
        foreach (var (row, reasons, _) in rows)
        {
            var said = reasons.Count == 0 ? "—" : string.Join("<br>", reasons.Select(r => r.Replace("|", "\\|", StringComparison.Ordinal)));
            yield return $"| {row.Scenario} | {row.Store} | {row.AlertsSent} | {row.CapturesExpected} | {row.Completed} | {row.FailedWithReason} | {row.Lost} | {row.Duplicate} | {said} |";
        }

        yield return string.Empty;
        yield return $"Totals: {rows.Sum(r => r.Row.AlertsSent)} alerts, {rows.Sum(r => r.Row.CapturesExpected)} captures expected, {rows.Sum(r => r.Row.Completed)} completed, {rows.Sum(r => r.Row.FailedWithReason)} failed with a reason, {rows.Sum(r => r.Row.Lost)} lost, {rows.Sum(r => r.Row.Duplicate)} duplicate.";
    }

    private static string Slug(string text) =>
        new([.. text.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : '-')]);

    private sealed record RecordedRow(ScenarioRow Row, IReadOnlyList<string> Reasons, DateTimeOffset At);
}
