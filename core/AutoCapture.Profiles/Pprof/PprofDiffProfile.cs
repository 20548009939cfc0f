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
/// Protobuf messages concatenate: repeated fields append. So the incident's bytes go out untouched, followed by the
/// baseline's samples, locations, functions, mappings and strings, rewritten one message at a time as they are read
/// (ids and string indexes moved past the incident's). Neither profile is ever held as protobuf objects.
/// </remarks>
public static class PprofDiffProfile
{
    public const string BaseLabel = "pprof::base";

    /// <param name="incidentData">The incident's profile as served (gzip-framed or bare).</param>
    /// <param name="baselineData">The baseline's profile of the same kind.</param>
    /// <param name="diffOutput">Receives the gzip-framed comparison profile.</param>
    /// <param name="comment">Shown by pprof with the profile (which captures were compared).</param>
    /// <param name="holdsSelf">Which functions take a sample's flat value in the histograms (see <see cref="PprofSummarizer.Histogram"/>).</param>
    /// <param name="leavesOut">Samples through these functions are left out of the histograms, not the comparison profile.</param>
    public static PprofComparison Compare(byte[] incidentData, byte[] baselineData, Stream diffOutput, string comment, Func<string, bool>? holdsSelf = null, Func<string, bool>? leavesOut = null)
    {
        var incidentBytes = PprofProfile.Inflate(incidentData);
        var incident = Measure(PprofProfile.ParseInflated(incidentBytes), holdsSelf, leavesOut, sampleType: null);
        var baselineBytes = PprofProfile.Inflate(baselineData);
        var baseline = Measure(PprofProfile.ParseInflated(baselineBytes), holdsSelf, leavesOut, incident.Histogram.SampleType);
        if (!baseline.SampleTypes.SequenceEqual(incident.SampleTypes))
        {
            throw new ProfileFormatException(
                $"the profiles are of different kinds: the baseline has sample types {Describe(baseline.SampleTypes)}, the incident {Describe(incident.SampleTypes)}");
        }

        using (var gzip = new GZipStream(diffOutput, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(incidentBytes);
            using var output = new CodedOutputStream(gzip, leaveOpen: true);
            WriteAsBase(baselineBytes, baseline, incident, comment, output);
        }

        return new PprofComparison(baseline.Histogram, incident.Histogram);
    }

    private static string Describe(IEnumerable<(string Type, string Unit)> types) => string.Join(", ", types.Select(t => $"{t.Type}/{t.Unit}"));

    /// <summary>What the comparison needs of a parsed profile, so the parsed form can go before the next one is read.</summary>
    private sealed record Shape(
        IReadOnlyList<(string Type, string Unit)> SampleTypes,
        long[] Totals,
        int StringCount,
        ulong MaxFunctionId,
        ulong MaxLocationId,
        ulong MaxMappingId,
        FunctionHistogram Histogram);

    private static Shape Measure(PprofProfile profile, Func<string, bool>? holdsSelf, Func<string, bool>? leavesOut, string? sampleType)
    {
        var totals = new long[profile.SampleTypes.Count];
        for (var sample = 0; sample < profile.SampleCount; sample++)
        {
            for (var t = 0; t < totals.Length; t++)
            {
                totals[t] += profile.Value(sample, t);
            }
        }

        var histogram = sampleType is null || profile.FindSampleType(sampleType) >= 0
            ? PprofSummarizer.Histogram(profile, sampleType, holdsSelf, leavesOut)
            : FunctionHistogram.Create(sampleType, string.Empty, 0, []);
        return new Shape(profile.SampleTypes, totals, profile.StringCount, profile.MaxFunctionId, profile.MaxLocationId, profile.MaxMappingId, histogram);
    }

    /// <summary>Writes the baseline's repeated fields as the second half of the comparison profile, one message at a time.</summary>
    private static void WriteAsBase(byte[] baselineBytes, Shape baseline, Shape incident, string comment, CodedOutputStream output)
    {
        var strings = incident.StringCount;
        var ratios = new double[baseline.Totals.Length];
        for (var t = 0; t < ratios.Length; t++)
        {
            // Normalised as pprof -normalize does: the baseline scaled to the incident's total, per sample type.
            ratios[t] = baseline.Totals[t] == 0 ? -1 : -(double)incident.Totals[t] / baseline.Totals[t];
        }

        var baseKey = strings + baseline.StringCount;
        var input = new CodedInputStream(baselineBytes);
        var sample = new Sample();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (tag)
            {
                case PprofProfile.Tags.Sample:
                    sample.LocationId.Clear();
                    sample.Value.Clear();
                    sample.Label.Clear();
                    input.ReadMessage(sample);
                    Rebase(sample, incident.MaxLocationId, strings, ratios);
                    sample.Label.Add(new Label { Key = baseKey, Str = baseKey + 1 });
                    Write(output, tag, sample);
                    break;
                case PprofProfile.Tags.Mapping:
                    var mapping = new Mapping();
                    input.ReadMessage(mapping);
                    mapping.Id += incident.MaxMappingId;
                    mapping.Filename += strings;
                    mapping.BuildId += strings;
                    Write(output, tag, mapping);
                    break;
                case PprofProfile.Tags.Location:
                    var location = new Location();
                    input.ReadMessage(location);
                    location.Id += incident.MaxLocationId;
                    location.MappingId = location.MappingId == 0 ? 0 : location.MappingId + incident.MaxMappingId;
                    foreach (var line in location.Line)
                    {
                        line.FunctionId += incident.MaxFunctionId;
                    }

                    Write(output, tag, location);
                    break;
                case PprofProfile.Tags.Function:
                    var function = new Function();
                    input.ReadMessage(function);
                    function.Id += incident.MaxFunctionId;
                    function.Name += strings;
                    function.SystemName += strings;
                    function.Filename += strings;
                    Write(output, tag, function);
                    break;
                case PprofProfile.Tags.String:
                    output.WriteTag(tag);
                    output.WriteString(input.ReadString());
                    break;
                default:
                    // Sample types and scalars stay the incident's: a second sample type list would double it.
                    input.SkipLastField();
                    break;
            }
        }

        foreach (var text in new[] { BaseLabel, "true", comment })
        {
            output.WriteTag(PprofProfile.Tags.String);
            output.WriteString(text);
        }

        output.WriteTag(PprofProfile.Tags.Comment);
        output.WriteInt64(baseKey + 2);
    }

    private static void Rebase(Sample sample, ulong locationOffset, int strings, double[] ratios)
    {
        for (var i = 0; i < sample.LocationId.Count; i++)
        {
            sample.LocationId[i] += locationOffset;
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
    }

    private static void Write(CodedOutputStream output, uint tag, IMessage message)
    {
        output.WriteTag(tag);
        output.WriteMessage(message);
    }
}
