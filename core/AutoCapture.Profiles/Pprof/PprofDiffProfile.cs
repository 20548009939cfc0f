using System.IO.Compression;
using AutoCapture.Profiles.Histograms;
using AutoCapture.Profiles.Pprof.Wire;
using Google.Protobuf;

namespace AutoCapture.Profiles.Pprof;

/// <summary>Both sides of a pprof comparison, every function, for the incident's default sample type.</summary>
public sealed record PprofComparison(FunctionHistogram Baseline, FunctionHistogram Incident);

/// <summary>
/// Compares two pprof profiles of one kind and writes the comparison as one profile anyone can open with
/// <c>go tool pprof</c>, built the way <c>pprof -diff_base -normalize</c> builds it: the baseline's samples scaled to the
/// incident's totals, negated and labelled <c>pprof::base=true</c>, next to the incident's own samples. pprof then
/// shows what grew as positive and what shrank as negative, percentages relative to the baseline.
/// </summary>
/// <remarks>
/// Protobuf messages concatenate: repeated fields append. So the incident's bytes go out untouched, followed by a
/// message with only the baseline's samples, locations, functions, mappings and strings, their ids and string
/// indexes moved past the incident's. Only one profile's object model is in memory at a time.
/// </remarks>
public static class PprofDiffProfile
{
    public const string BaseLabel = "pprof::base";

    /// <param name="incidentData">The incident's profile as served (gzip-framed or bare).</param>
    /// <param name="baselineData">The baseline's profile of the same kind.</param>
    /// <param name="diffOutput">Receives the gzip-framed comparison profile.</param>
    /// <param name="comment">Shown by pprof with the profile (which captures were compared).</param>
    /// <param name="holdsSelf">Which functions take a sample's flat value in the histograms (see <see cref="PprofSummarizer.Histogram"/>).</param>
    public static PprofComparison Compare(byte[] incidentData, byte[] baselineData, Stream diffOutput, string comment, Func<string, bool>? holdsSelf = null)
    {
        var incidentBytes = PprofProfile.Inflate(incidentData);
        var incident = Measure(PprofProfile.ParseInflated(incidentBytes), holdsSelf);
        var baseline = PprofProfile.Parse(baselineData);
        if (!baseline.SampleTypes.SequenceEqual(incident.SampleTypes))
        {
            throw new ProfileFormatException(
                $"the profiles are of different kinds: the baseline has sample types {Describe(baseline.SampleTypes)}, the incident {Describe(incident.SampleTypes)}");
        }

        var sampleType = incident.SampleTypes[incident.DefaultSampleType].Type;
        var baselineHistogram = PprofSummarizer.Histogram(baseline, sampleType, holdsSelf);
        var baselineTotals = Totals(baseline);
        var rewritten = RewriteAsBase(baseline.Raw, incident, baselineTotals, comment);
        using (var gzip = new GZipStream(diffOutput, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(incidentBytes);
            rewritten.WriteTo(gzip);
        }

        return new PprofComparison(baselineHistogram, incident.Histogram);
    }

    private static string Describe(IEnumerable<(string Type, string Unit)> types) => string.Join(", ", types.Select(t => $"{t.Type}/{t.Unit}"));

    /// <summary>What the rewrite of the baseline needs to know of the incident, kept so its object model can go.</summary>
    private sealed record IncidentShape(
        IReadOnlyList<(string Type, string Unit)> SampleTypes,
        int DefaultSampleType,
        long[] Totals,
        int StringCount,
        ulong MaxFunctionId,
        ulong MaxLocationId,
        ulong MaxMappingId,
        FunctionHistogram Histogram);

    private static IncidentShape Measure(PprofProfile incident, Func<string, bool>? holdsSelf)
    {
        var raw = incident.Raw;
        return new IncidentShape(
            incident.SampleTypes,
            incident.DefaultSampleType,
            Totals(incident),
            raw.StringTable.Count,
            raw.Function.Count == 0 ? 0 : raw.Function.Max(f => f.Id),
            raw.Location.Count == 0 ? 0 : raw.Location.Max(l => l.Id),
            raw.Mapping.Count == 0 ? 0 : raw.Mapping.Max(m => m.Id),
            PprofSummarizer.Histogram(incident, holdsSelf: holdsSelf));
    }

    private static long[] Totals(PprofProfile profile)
    {
        var totals = new long[profile.SampleTypes.Count];
        for (var sample = 0; sample < profile.SampleCount; sample++)
        {
            for (var t = 0; t < totals.Length; t++)
            {
                totals[t] += profile.Value(sample, t);
            }
        }

        return totals;
    }

    /// <summary>Turns the parsed baseline into the second half of the comparison profile (in place: it is not used again).</summary>
    private static Profile RewriteAsBase(Profile baseline, IncidentShape incident, long[] baselineTotals, string comment)
    {
        var strings = incident.StringCount;
        var ratios = new double[baselineTotals.Length];
        for (var t = 0; t < ratios.Length; t++)
        {
            // Normalised as pprof -normalize does: the baseline scaled to the incident's total, per sample type.
            ratios[t] = baselineTotals[t] == 0 ? -1 : -(double)incident.Totals[t] / baselineTotals[t];
        }

        foreach (var mapping in baseline.Mapping)
        {
            mapping.Id += incident.MaxMappingId;
            mapping.Filename += strings;
            mapping.BuildId += strings;
        }

        foreach (var function in baseline.Function)
        {
            function.Id += incident.MaxFunctionId;
            function.Name += strings;
            function.SystemName += strings;
            function.Filename += strings;
        }

        foreach (var location in baseline.Location)
        {
            location.Id += incident.MaxLocationId;
            if (location.MappingId != 0)
            {
                location.MappingId += incident.MaxMappingId;
            }

            foreach (var line in location.Line)
            {
                line.FunctionId += incident.MaxFunctionId;
            }
        }

        var baseKey = strings + baseline.StringTable.Count;
        baseline.StringTable.Add(BaseLabel);
        baseline.StringTable.Add("true");
        baseline.StringTable.Add(comment);
        foreach (var sample in baseline.Sample)
        {
            for (var i = 0; i < sample.LocationId.Count; i++)
            {
                sample.LocationId[i] += incident.MaxLocationId;
            }

            for (var t = 0; t < sample.Value.Count; t++)
            {
                sample.Value[t] = (long)Math.Round(sample.Value[t] * ratios[t]);
            }

            foreach (var label in sample.Label)
            {
                label.Key += strings;
                label.Str = label.Str == 0 ? 0 : label.Str + strings;
                label.NumUnit = label.NumUnit == 0 ? 0 : label.NumUnit + strings;
            }

            sample.Label.Add(new Label { Key = baseKey, Str = baseKey + 1 });
        }

        // Only what repeats may stay: a scalar here would override the incident's, a sample type would be a second one.
        baseline.SampleType.Clear();
        baseline.PeriodType = null;
        baseline.Period = 0;
        baseline.DurationNanos = 0;
        baseline.TimeNanos = 0;
        baseline.DropFrames = 0;
        baseline.KeepFrames = 0;
        baseline.DefaultSampleType = 0;
        baseline.Comment.Clear();
        baseline.Comment.Add(baseKey + 2);
        return baseline;
    }
}
