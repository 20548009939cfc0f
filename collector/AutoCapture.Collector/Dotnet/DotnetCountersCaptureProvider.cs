using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text;
using AutoCapture.Collector.Captures;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Summaries;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;

namespace AutoCapture.Collector.Dotnet;

/// <summary>
/// .NET counters: the runtime's System.Runtime counters (GC heap size, gen collections, allocation rate, thread pool
/// queue and threads, exceptions, lock contention, CPU) published once a second over the capture's window, stored as
/// counters.csv and summarised per counter (last, min, max). Rates are per second.
/// </summary>
public sealed class DotnetCountersCaptureProvider : ICaptureProvider
{
    private const int IntervalSeconds = 1;

    private static readonly EventPipeProvider[] Providers =
    [
        new("System.Runtime", EventLevel.Informational, -1, new Dictionary<string, string> { ["EventCounterIntervalSec"] = IntervalSeconds.ToString(CultureInfo.InvariantCulture) }),
    ];

    public string Runtime => Runtimes.Dotnet;

    public string Kind => CaptureKinds.Counters;

    public async Task<CaptureSummary> CaptureAsync(CaptureContext context, CancellationToken cancellationToken)
    {
        // Counters arrive at the end of each interval: a window shorter than two would often hold none.
        var window = context.Duration < TimeSpan.FromSeconds(2 * IntervalSeconds) ? TimeSpan.FromSeconds(2 * IntervalSeconds) : context.Duration;
        var tracePath = Path.Combine(context.WorkDirectory, "counters.nettrace");
        var readings = new List<CounterReading>();
        await LiveEventPipe.RunAsync(context.Process, Providers, tracePath, window, (source, _) => source.Dynamic.All += data =>
        {
            if (CounterReading.From(data) is { } reading)
            {
                readings.Add(reading);
            }
        }, cancellationToken);

        if (readings.Count == 0)
        {
            throw new CaptureFailedException(
                $"{EventPipeRecorder.Describe(context.Process)} published no System.Runtime counters in {window.TotalSeconds:0.#} s");
        }

        var csvPath = Path.Combine(context.WorkDirectory, "counters.csv");
        await File.WriteAllTextAsync(csvPath, ToCsv(readings), new UTF8Encoding(false), cancellationToken);
        await context.Artifacts.UploadAsync(csvPath, Kind, "text/csv", cancellationToken);
        return new CaptureSummary { Counters = Summarize(readings, window) };
    }

    internal static RuntimeCountersSummary Summarize(IReadOnlyList<CounterReading> readings, TimeSpan window) => new(
        Math.Round(window.TotalSeconds, 1),
        readings
            .GroupBy(r => r.Name, StringComparer.Ordinal)
            .Select(g => new CounterStat(g.Key, g.Last().DisplayName, g.Last().Unit, g.Last().Value, g.Min(r => r.Value), g.Max(r => r.Value), g.Count()))
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToList());

    private static string ToCsv(IEnumerable<CounterReading> readings)
    {
        var csv = new StringBuilder("seconds,name,value,unit\n");
        foreach (var r in readings)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{r.Seconds:0.###},{r.Name},{r.Value:R},{r.Unit}\n");
        }

        return csv.ToString();
    }
}

/// <summary>One value of one EventCounter, as the runtime publishes it in its EventCounters event.</summary>
internal sealed record CounterReading(double Seconds, string Name, string DisplayName, string Unit, double Value)
{
    public static CounterReading? From(TraceEvent data)
    {
        if (data.EventName != "EventCounters" || data.PayloadValue(0) is not IDictionary<string, object> outer
            || outer.TryGetValue("Payload", out var inner) is false || inner is not IDictionary<string, object> fields)
        {
            return null;
        }

        var name = fields.TryGetValue("Name", out var n) ? n as string : null;
        if (string.IsNullOrEmpty(name))
        {
            return null;
        }

        // "Mean" counters carry the value; "Sum" counters carry the increment over the interval (a rate).
        var isRate = fields.TryGetValue("CounterType", out var type) && type as string == "Sum";
        var raw = fields.TryGetValue(isRate ? "Increment" : "Mean", out var v) ? v : null;
        if (raw is null)
        {
            return null;
        }

        var unit = fields.TryGetValue("DisplayUnits", out var u) ? u as string ?? string.Empty : string.Empty;
        var display = fields.TryGetValue("DisplayName", out var d) ? d as string ?? name : name;
        return new CounterReading(
            Math.Round(data.TimeStampRelativeMSec / 1000, 3),
            name,
            display,
            isRate ? (unit.Length == 0 ? "/s" : $"{unit}/s") : unit,
            Convert.ToDouble(raw, CultureInfo.InvariantCulture));
    }
}
