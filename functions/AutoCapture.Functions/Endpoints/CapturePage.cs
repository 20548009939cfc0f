using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Summaries;
using AutoCapture.Diffs;
using AutoCapture.Functions.Chat;
using AutoCapture.Functions.Links;

namespace AutoCapture.Functions.Endpoints;

/// <summary>
/// One capture as a page for the postmortem: the alert, the target, the outcome, each summary as a table, the
/// artifacts with sizes, hashes and download links, and for profiles an embedded flame graph (speedscope, served by
/// this app). No scripts of its own: the page works under <c>default-src 'self'</c>.
/// </summary>
internal static class CapturePage
{
    private const string Style =
        "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#222}" +
        "table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{padding:.25rem .7rem;text-align:left;vertical-align:top;border-bottom:1px solid #e4e4e4}" +
        "th{background:#f6f6f6}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}code,td.frame{font-family:ui-monospace,monospace;font-size:.85rem;overflow-wrap:anywhere}" +
        // Frame names are long and unbreakable: a column holding them keeps a readable width instead of one character per line.
        "td.frame{min-width:18rem}td{min-width:3rem}" +
        "pre{background:#f4f4f4;padding:1rem;overflow:auto;white-space:pre-wrap}iframe{width:100%;height:36rem;border:1px solid #ccc}.status{font-weight:600}" +
        "#findings li{margin:.4rem 0}#findings .finding{font-weight:600;font-size:1.1rem}";

    public static string Render(CaptureManifest manifest, PublicUrls urls)
    {
        var message = ChatMessage.For(manifest, urls);
        var page = new Html();
        page.Raw("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><link rel=\"icon\" href=\"").Raw(FlameGraphViewer.IconPath).Raw("\"><title>")
            .Text($"AutoCapture {manifest.Id}").Raw("</title><style>").Raw(Style).Raw("</style></head><body>");
        // No status emoji in the heading: where fonts lack them they render as boxes.
        page.Raw("<h1>").Text($"{manifest.Alert.Name}: {manifest.Target.Host}").Raw("</h1><p class=\"status\">").Text(message.Headline).Raw("</p>");
        Findings(page, manifest);
        AlertContextSection(page, manifest);
        if (manifest.Diff is { } diff)
        {
            Comparison(page, manifest, diff, urls);
        }

        FlameGraph(page, manifest, urls);

        page.Raw("<h2>Capture</h2>");
        var rows = message.Fields.Select(f => new[] { f.Name, f.Value }).ToList();
        rows.Add(["Capture id", manifest.Id]);
        rows.Add(["Created", Time(manifest.CreatedAt)]);
        if (manifest.CompletedAt is { } completed)
        {
            rows.Add(["Finished", Time(completed)]);
        }

        page.Table("capture", null, rows);
        if (manifest.Alert.Labels.Count > 0)
        {
            page.Raw("<h2>Alert labels</h2>");
            page.Table("labels", ["label", "value"], manifest.Alert.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => new[] { l.Key, l.Value }));
        }

        if (manifest.Summary is { } summary)
        {
            Summaries(page, summary);
            RuntimeSummaries(page, summary);
        }

        if (manifest.Notes.Count > 0)
        {
            page.Raw("<h2>Notes</h2><ul>");
            foreach (var note in manifest.Notes)
            {
                page.Raw("<li>").Text(note).Raw("</li>");
            }

            page.Raw("</ul>");
        }

        Artifacts(page, manifest, urls);
        page.Raw("</body></html>");
        return page.ToString();
    }

    /// <summary>The findings model, as chat leads with it: each sentence, then the figures it rests on.</summary>
    private static void Findings(Html page, CaptureManifest manifest)
    {
        if (manifest.Summary is not { } summary || CaptureFindings.For(summary, manifest.Target.Process.Runtime) is not { Count: > 0 } findings)
        {
            return;
        }

        page.Raw("<section id=\"findings\"><h2>Findings</h2><ol>");
        foreach (var finding in findings)
        {
            page.Raw("<li><p class=\"finding\">").Text(finding.Text).Raw("</p>");
            if (finding.Evidence.Count > 0)
            {
                page.Raw("<pre>").Text(string.Join('\n', finding.Evidence)).Raw("</pre>");
            }

            page.Raw("</li>");
        }

        page.Raw("</ol></section>");
    }

    /// <summary>The alert's own words and links back to where it fired: sender text, encoded, links only when http(s).</summary>
    private static void AlertContextSection(Html page, CaptureManifest manifest)
    {
        var words = AlertContext.Annotations(manifest.Alert).ToList();
        var links = AlertContext.Links(manifest.Alert).ToList();
        if (words.Count == 0 && links.Count == 0)
        {
            return;
        }

        page.Raw("<section id=\"alert\"><h2>Alert</h2>");
        foreach (var (name, value) in words)
        {
            page.Raw("<p><strong>").Text(name).Raw(":</strong> ").Text(value).Raw("</p>");
        }

        foreach (var link in links)
        {
            page.Raw("<p><a rel=\"noopener noreferrer\" href=\"").Attribute(link.Url).Raw("\">").Text(link.Text).Raw("</a></p>");
        }

        page.Raw("</section>");
    }

    /// <summary>What changed against the baseline, first: it answers "what is different from normal" before the details.</summary>
    private static void Comparison(Html page, CaptureManifest manifest, CaptureDiff diff, PublicUrls urls)
    {
        var basis = diff.Basis switch
        {
            BaselineMark.Schedule => "the scheduled baseline",
            BaselineMark.Peer => "a healthy peer captured alongside",
            _ => "a baseline chosen by hand",
        };
        var finished = diff.BaselineCompletedAt is { } at ? $", finished {Time(at)}" : string.Empty;
        page.Raw("<section id=\"diff\"><h2>").Text($"Compared with baseline {diff.BaselineId}").Raw("</h2><p>")
            .Text($"Against {basis}: {diff.BaselineTarget}{finished}. Shares are of each side's own total, so a busier or longer capture does not look different by itself.").Raw("</p>");
        if (diff.Headlines.Count > 0)
        {
            page.Raw("<ul id=\"diff-headlines\">");
            foreach (var headline in diff.Headlines)
            {
                page.Raw("<li>").Text(headline).Raw("</li>");
            }

            page.Raw("</ul>");
        }
        else
        {
            page.Raw("<p>").Text(diff.Notes.Count > 0 ? "Nothing could be compared." : "No notable change.").Raw("</p>");
        }

        foreach (var (kind, profile) in diff.Profiles?.OrderBy(p => p.Key, StringComparer.Ordinal) ?? Enumerable.Empty<KeyValuePair<string, ProfileDiff>>())
        {
            page.Raw("<h3>").Text($"{kind}: top movers ({profile.SampleType}, flat share of each side's total)").Raw("</h3>");
            page.Table($"diff-{kind}", ["change (pts)", "baseline %", "now %", "function"], profile.Increased.Concat(profile.Decreased).Select(f => new[]
            {
                f.Delta.ToString("+0.0;−0.0", CultureInfo.InvariantCulture), $"{f.BaselineFlatPercent:0.0}", $"{f.FlatPercent:0.0}", f.Function,
            }), numericColumns: 3);
        }

        GroupChanges(page, "goroutines", diff.Goroutines);
        GroupChanges(page, "threads", diff.Threads);
        if (diff.HeapTypes is { } heap)
        {
            page.Raw("<h3>").Text($"Heap types grown most ({Units.Bytes(heap.BaselineBytes)} → {Units.Bytes(heap.Bytes)})").Raw("</h3>");
            page.Table("diff-heap-types", ["baseline bytes", "bytes", "baseline objects", "objects", "type"], heap.ByBytes.Select(t => new[]
            {
                Units.Bytes(t.BaselineBytes), Units.Bytes(t.Bytes), N(t.BaselineObjects), N(t.Objects), t.Type,
            }), numericColumns: 4);
        }

        if (diff.Counters is { Beyond.Count: > 0 } counters)
        {
            page.Raw("<h3>Counters beyond their normal range</h3>");
            page.Table("diff-counters", ["counter", "value", "normal range", "unit"], counters.Beyond.Select(c => new[]
            {
                c.DisplayName, $"{c.Value:0.##}", $"{c.NormalLow:0.##} to {c.NormalHigh:0.##}", c.Unit,
            }));
        }

        if (diff.Notes.Count > 0)
        {
            page.Raw("<p>").Text("Notes: " + string.Join("; ", diff.Notes)).Raw("</p>");
        }

        var artifacts = manifest.Artifacts.Where(a => diff.Artifacts.Contains(a.Name)).ToList();
        if (artifacts.Count > 0)
        {
            page.Raw("<ul id=\"diff-artifacts\">");
            foreach (var artifact in artifacts)
            {
                page.Raw("<li><a href=\"").Attribute(urls.Artifact(manifest.Id, artifact.Name)).Raw("\" download>").Text(artifact.Name).Raw("</a>: ").Text(ComparisonFile(artifact.Name));
                if (FlameGraphViewer.IsInstalled && FlameGraphViewer.CanOpen(artifact))
                {
                    page.Raw(" <a href=\"").Attribute(FlameGraphViewer.ViewerUrl(urls.AppArtifactPath(manifest.Id, artifact.Name), artifact.Name)).Raw("\" target=\"_blank\" rel=\"noopener\">flame graph</a>");
                }

                page.Raw("</li>");
            }

            page.Raw("</ul>");
        }

        page.Raw("</section>");
    }

    private static string ComparisonFile(string name) => name switch
    {
        _ when name.EndsWith(".diff.pb.gz", StringComparison.Ordinal) => "this capture minus the baseline as a pprof profile (go tool pprof -top)",
        _ when name.EndsWith(".diff.speedscope.json", StringComparison.Ordinal) => "both profiles side by side in speedscope",
        _ => "the full comparison (JSON)",
    };

    private static void GroupChanges(Html page, string what, GroupsDiff? groups)
    {
        if (groups is not { Changes.Count: > 0 })
        {
            return;
        }

        page.Raw("<h3>").Text($"{char.ToUpperInvariant(what[0])}{what[1..]}: {N(groups.BaselineTotal)} → {N(groups.Total)}").Raw("</h3>");
        page.Table($"diff-{what}", ["before", "after", "change", "state", "created by", "where"], groups.Changes.Select(c => new[]
        {
            N(c.Before), N(c.After), c.Change, c.State, c.CreatedBy ?? "-", c.Where,
        }), numericColumns: 2);
    }

    private static void Summaries(Html page, CaptureSummary summary)
    {
        if (summary.Cpu is { } cpu)
        {
            page.Raw("<h2>CPU</h2><p>").Text($"{cpu.Describe()}.").Raw("</p>");
            page.Raw("<h3>Hottest frames by self time</h3>");
            page.Table("cpu-exclusive", ["%", "samples", "frame"], Trimmed(cpu.TopExclusive, cpu.SampleCount), numericColumns: 2);
            page.Raw("<h3>Hottest frames including callees</h3>");
            // Inclusive shares overlap, so the folded rows are left out rather than summed.
            page.Table("cpu-inclusive", ["%", "samples", "frame"], cpu.TopInclusive.Where(f => f.Percent >= CaptureFindings.MinimumShare).Select(f => new[] { $"{f.Percent:0.0}", N(f.Samples), f.Frame }), numericColumns: 2);
        }

        if (summary.Cpu?.ThreadGroups is { Count: > 0 } threadGroups)
        {
            page.Raw("<h3>Threads by where they started</h3>");
            page.Table("cpu-thread-groups", ["%", "samples", "threads", "group", "hottest frame"], threadGroups.Select(g => new[]
            {
                $"{g.Percent:0.0}", N(g.Samples), N(g.ThreadCount), g.Group, g.TopExclusive.Count > 0 ? g.TopExclusive[0].Frame : string.Empty,
            }), numericColumns: 3);
        }

        if (summary.Stacks is { } stacks)
        {
            page.Raw("<h2>Thread stacks</h2><p>").Text($"{stacks.ThreadCount} managed threads, grouped by where they are.").Raw("</p>");
            var groups = stacks.Threads
                .GroupBy(t => t.Frames.FirstOrDefault(f => !f.StartsWith('[')) ?? (t.Frames.Count > 0 ? t.Frames[0] : "(no frames)"))
                .OrderByDescending(g => g.Count())
                .Select(g => new[] { N(g.Count()), string.Join(", ", g.Take(12).Select(t => t.Name is { } name ? $"{t.ThreadId} {name}" : t.ThreadId.ToString(CultureInfo.InvariantCulture))), g.Key });
            page.Table("stacks", ["threads", "thread ids and names", "innermost frame"], groups, numericColumns: 1);
        }
    }

    /// <summary>Self-time rows from half a percent up; the rest, runtime plumbing included, as one "other" row.</summary>
    private static IEnumerable<string[]> Trimmed(IReadOnlyList<FrameStat> frames, long total)
    {
        var shown = frames.Where(f => f.Percent >= CaptureFindings.MinimumShare && !OwnCode.IsDotnetDiagnosticsFrame(f.Frame)).ToList();
        foreach (var frame in shown)
        {
            yield return [$"{frame.Percent:0.0}", N(frame.Samples), frame.Frame];
        }

        var other = total - shown.Sum(f => f.Samples);
        if (other > 0 && total > 0)
        {
            yield return [$"{100.0 * other / total:0.0}", N(other), "other"];
        }
    }

    private static void RuntimeSummaries(Html page, CaptureSummary summary)
    {
        if (summary.Heap is { } heap)
        {
            var objects = heap.TotalObjects is { } count ? $" in {N(count)} objects" : string.Empty;
            var pause = heap.PauseMilliseconds is { } ms ? $"; the snapshot's GC paused the process {ms:0.#} ms" : string.Empty;
            page.Raw("<h2>Heap</h2><p>").Text($"{Units.Bytes(heap.TotalBytes)}{objects}{pause}. Largest by {(heap.GroupedBy == "type" ? "type" : "allocating function")}:").Raw("</p>");
            var shown = heap.Top.Where(e => e.Percent >= CaptureFindings.MinimumShare).ToList();
            var other = heap.TotalBytes - shown.Sum(e => e.Bytes);
            page.Table("heap", ["%", "bytes", "objects", heap.GroupedBy == "type" ? "type" : "function"], shown.Select(e => new[]
            {
                $"{e.Percent:0.0}", Units.Bytes(e.Bytes), e.Objects is { } o ? N(o) : "-", e.Name,
            }).Concat(other > 0 && heap.TotalBytes > 0 ? [[$"{100.0 * other / heap.TotalBytes:0.0}", Units.Bytes(other), "-", "other"]] : []), numericColumns: 3);
            if (heap.RetainedBy is { Count: > 0 } retained)
            {
                page.Raw("<h3>Application types by what they keep alive</h3>");
                page.Table("heap-retained", ["%", "bytes", "objects", "mostly in", "type"], retained.Select(r => new[]
                {
                    $"{r.Percent:0.0}", Units.Bytes(r.Bytes), N(r.Objects), r.Through, r.Type,
                }), numericColumns: 3);
            }
        }

        if (summary.Goroutines is { } goroutines)
        {
            var longest = goroutines.LongestWaitMinutes is { } minutes ? $", longest wait {minutes} min" : string.Empty;
            page.Raw("<h2>Goroutines</h2><p>").Text($"{N(goroutines.Total)} goroutines in {N(goroutines.GroupCount)} groups{longest}.").Raw("</p>");
            page.Table("goroutines", ["count", "state", "waiting (min)", "created by", "stack (innermost first)"], goroutines.Groups.Select(g => new[]
            {
                N(g.Count), g.State + (g.LockedToThread ? ", locked to thread" : string.Empty),
                g.MaxWaitMinutes is { } max ? (g.MinWaitMinutes is { } min && min != max ? $"{min}–{max}" : $"{max}") : "-",
                g.CreatedBy ?? "-", string.Join(" ← ", g.Frames),
            }), numericColumns: 1);
        }

        if (summary.Counters is { } counters)
        {
            page.Raw("<h2>Runtime counters</h2><p>").Text($"Sampled over {counters.WindowSeconds:0.#} s.").Raw("</p>");
            page.Table("counters", ["counter", "last", "min", "max", "unit", "samples"], counters.Counters.Select(c => new[]
            {
                c.DisplayName, $"{c.Last:0.##}", $"{c.Min:0.##}", $"{c.Max:0.##}", c.Unit, N(c.Samples),
            }));
        }

        if (summary.Dump is { } dump)
        {
            page.Raw("<h2>Dump</h2>");
            page.Table("dump", null, [["Type", dump.DumpType], ["Size", Units.Bytes(dump.Bytes)], ["Took", $"{dump.Seconds:0.#} s"]]);
        }

        foreach (var (kind, profile) in summary.Profiles ?? new Dictionary<string, PprofSummary>())
        {
            page.Raw("<h2>").Text($"{kind} profile (pprof)").Raw("</h2><p>")
                .Text($"{profile.SampleType} ({profile.Unit}): total {N(profile.Total)} over {N(profile.SampleCount)} samples{(profile.DurationSeconds > 0 ? $" in {profile.DurationSeconds:0.#} s" : string.Empty)}.").Raw("</p>");
            page.Table($"pprof-{kind}", ["%", profile.Unit, "function (flat)"], profile.TopFlat.Select(f => new[] { $"{f.Percent:0.0}", N(f.Value), f.Function }), numericColumns: 2);
        }
    }

    private static void FlameGraph(Html page, CaptureManifest manifest, PublicUrls urls)
    {
        var profiles = manifest.Artifacts.Where(FlameGraphViewer.CanOpen).ToList();
        if (profiles.Count == 0)
        {
            return;
        }

        page.Raw("<h2>Flame graph</h2>");
        if (!FlameGraphViewer.IsInstalled)
        {
            page.Raw("<p>The flame graph viewer is not installed with this app; download the profile below and open it at https://www.speedscope.app.</p>");
            return;
        }

        // The capture's own profile, not a comparison with its baseline (those are linked above); speedscope's own
        // JSON keeps .NET frame names best; pprof protobufs open too.
        var first = profiles
            .OrderBy(a => a.Kind == DiffArtifacts.Kind ? 1 : 0)
            .ThenBy(a => a.Name.EndsWith(".speedscope.json", StringComparison.Ordinal) ? 0 : 1)
            .First();
        var viewer = FlameGraphViewer.ViewerUrl(urls.AppArtifactPath(manifest.Id, first.Name), $"{manifest.Alert.Name} {manifest.Target.Host} {first.Name}");
        page.Raw("<p>").Text($"{first.Name} in speedscope. ").Raw("<a href=\"").Attribute(viewer).Raw("\" target=\"_blank\" rel=\"noopener\">Open full screen</a></p>");
        page.Raw("<iframe id=\"flamegraph\" title=\"flame graph\" src=\"").Attribute(viewer).Raw("\"></iframe>");
    }

    private static void Artifacts(Html page, CaptureManifest manifest, PublicUrls urls)
    {
        if (manifest.Artifacts.Count == 0)
        {
            return;
        }

        page.Raw("<h2>Artifacts</h2><table id=\"artifacts\"><tr><th>name</th><th>kind</th><th>size</th><th>sha256</th><th></th></tr>");
        foreach (var artifact in manifest.Artifacts)
        {
            page.Raw("<tr><td><a href=\"").Attribute(urls.Artifact(manifest.Id, artifact.Name)).Raw("\" download>").Text(artifact.Name).Raw("</a></td><td>")
                .Text(artifact.Kind).Raw("</td><td class=\"num\">").Text(Units.Bytes(artifact.Size)).Raw("</td><td><code>").Text(artifact.Sha256).Raw("</code></td><td>");
            if (FlameGraphViewer.IsInstalled && FlameGraphViewer.CanOpen(artifact))
            {
                var viewer = FlameGraphViewer.ViewerUrl(urls.AppArtifactPath(manifest.Id, artifact.Name), artifact.Name);
                page.Raw("<a href=\"").Attribute(viewer).Raw("\" target=\"_blank\" rel=\"noopener\">flame graph</a>");
            }

            page.Raw("</td></tr>");
        }

        page.Raw("</table>");
    }

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>HTML built by appending; everything that is not markup goes through the encoder.</summary>
    private sealed class Html
    {
        private readonly StringBuilder _builder = new();

        public Html Raw(string markup)
        {
            _builder.Append(markup);
            return this;
        }

        public Html Text(string text)
        {
            _builder.Append(HtmlEncoder.Default.Encode(text));
            return this;
        }

        public Html Attribute(string value) => Text(value);

        /// <param name="numericColumns">How many leading columns hold numbers (right-aligned).</param>
        public void Table(string id, string[]? headers, IEnumerable<string[]> rows, int numericColumns = 0)
        {
            Raw("<table id=\"").Raw(id).Raw("\">");
            if (headers is not null)
            {
                Raw("<tr>");
                foreach (var header in headers)
                {
                    Raw("<th>").Text(header).Raw("</th>");
                }

                Raw("</tr>");
            }

            foreach (var row in rows)
            {
                Raw("<tr>");
                for (var i = 0; i < row.Length; i++)
                {
                    var cell = headers is null && i == 0 ? "th" : "td";
                    Raw($"<{cell}{(i < numericColumns ? " class=\"num\"" : i == row.Length - 1 && numericColumns > 0 ? " class=\"frame\"" : string.Empty)}>").Text(row[i]).Raw($"</{cell}>");
                }

                Raw("</tr>");
            }

            Raw("</table>");
        }

        public override string ToString() => _builder.ToString();
    }
}
