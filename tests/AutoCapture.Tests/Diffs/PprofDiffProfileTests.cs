using AutoCapture.Core.Summaries;
using AutoCapture.Diffs;
using AutoCapture.Profiles;
using AutoCapture.Profiles.Pprof;
using AutoCapture.Tests.Profiles;

namespace AutoCapture.Tests.Diffs;

public sealed class PprofDiffProfileTests
{
    /// <summary>A Go cpu profile: main.steady always; main.hot when <paramref name="hotSamples"/> is above zero.</summary>
    private static byte[] CpuProfile(int steadySamples, int hotSamples, string? extraLabel = null)
    {
        var p = SyntheticProfiles.Cpu();
        var main = p.Location("main.main");
        p.Sample([steadySamples, steadySamples * 10_000_000L], p.Location("main.steady"), main);
        if (hotSamples > 0)
        {
            p.Sample([hotSamples, hotSamples * 10_000_000L], p.Location("main.hot"), p.Location("main.startHot.func1"));
        }

        if (extraLabel is not null)
        {
            p.Profile.Sample[0].Label.Add(new AutoCapture.Profiles.Pprof.Wire.Label { Key = p.String(extraLabel), Str = p.String("value") });
        }

        return p.Gzipped();
    }

    [Fact]
    public void The_comparison_profile_holds_the_incident_and_the_negated_scaled_baseline_labelled_as_base()
    {
        // A 2-sample baseline against a 100-sample incident: scaled to the incident's total before negating.
        var baseline = CpuProfile(steadySamples: 2, hotSamples: 0, extraLabel: "handler");
        var incident = CpuProfile(steadySamples: 50, hotSamples: 50);
        using var output = new MemoryStream();

        var comparison = PprofDiffProfile.Compare(incident, baseline, output, "capture A minus baseline B");

        Assert.Equal(("cpu", 100 * 10_000_000L, 2 * 10_000_000L), (comparison.Incident.SampleType, comparison.Incident.Total, comparison.Baseline.Total));
        Assert.Equal(new[] { "main.hot", "main.steady" }, comparison.Incident.Functions.Where(f => f.Flat > 0).Select(f => f.Name).Order());
        var merged = PprofProfile.Parse(output.ToArray());
        Assert.Equal(new[] { ("samples", "count"), ("cpu", "nanoseconds") }, merged.SampleTypes);
        Assert.Equal(3, merged.SampleCount);
        var diff = PprofSummarizer.Histogram(merged, "samples");
        // incident − baseline × (100 / 2): steady 50 − 100 = −50, hot 50 − 0 = +50; the net total is zero.
        Assert.Equal(0, diff.Total);
        Assert.Equal((50L, -50L), (diff.Functions.Single(f => f.Name == "main.hot").Flat, diff.Functions.Single(f => f.Name == "main.steady").Flat));
        var raw = AutoCapture.Profiles.Pprof.Wire.Profile.Parser.ParseFrom(GzipFraming.Decompress(output.ToArray(), PprofProfile.MaxInflatedBytes));
        var strings = raw.StringTable;
        var baseSamples = raw.Sample.Where(s => s.Label.Any(l => strings[(int)l.Key] == PprofDiffProfile.BaseLabel && strings[(int)l.Str] == "true")).ToList();
        var baseSample = Assert.Single(baseSamples);
        Assert.Equal(new[] { -100L, -100 * 10_000_000L }, baseSample.Value);
        // The baseline's own labels survive, pointing at its strings.
        Assert.Contains(baseSample.Label, l => strings[(int)l.Key] == "handler" && strings[(int)l.Str] == "value");
        Assert.Contains("capture A minus baseline B", raw.Comment.Select(c => strings[(int)c]));
        Assert.Equal(10_000_000, merged.Period);
    }

    [Fact]
    public void Profiles_of_different_kinds_are_refused_in_words()
    {
        var heap = new SyntheticProfiles(("inuse_space", "bytes"));
        heap.Sample([1024], heap.Location("main.alloc"));

        var failure = Assert.Throws<ProfileFormatException>(() => PprofDiffProfile.Compare(CpuProfile(1, 1), heap.Gzipped(), Stream.Null, "x"));

        Assert.Equal("the profiles are of different kinds: the baseline has sample types inuse_space/bytes, the incident samples/count, cpu/nanoseconds", failure.Message);
    }

    [Fact]
    public void Comparing_through_the_differ_ranks_the_new_function_first()
    {
        var comparison = PprofDiffProfile.Compare(CpuProfile(50, 50), CpuProfile(100, 0), Stream.Null, "x");

        var diff = ProfileComparer.Compare(comparison.Baseline, comparison.Incident);

        Assert.Equal(("main.hot", 50.0), (diff.Increased[0].Function, diff.Increased[0].Delta));
        Assert.Equal(("main.steady", -50.0), (diff.Decreased[0].Function, diff.Decreased[0].Delta));
    }

    [Fact]
    public void What_serving_a_profile_allocated_in_the_target_is_left_out_of_the_compared_histograms()
    {
        var p = SyntheticProfiles.Cpu();
        p.Sample([50, 500_000_000L], p.Location("main.steady"), p.Location("main.main"));
        // The gzip writer that net/http/pprof allocated while serving the goroutine dump asked for just before.
        p.Sample([10, 100_000_000L], p.Location("compress/flate.NewWriter"), p.Location("compress/gzip.(*Writer).Write"), p.Location("runtime/pprof.(*profileBuilder).flush"), p.Location("net/http/pprof.handler.ServeHTTP"));
        var incident = p.Gzipped();
        var baseline = CpuProfile(steadySamples: 50, hotSamples: 0);

        var comparison = PprofDiffProfile.Compare(incident, baseline, Stream.Null, "x", OwnCode.IsOwnGoFrame, OwnCode.IsGoProfilerFrame);

        Assert.Equal(500_000_000L, comparison.Incident.Total);
        Assert.DoesNotContain(comparison.Incident.Functions, f => f.Name.StartsWith("compress/", StringComparison.Ordinal));
        Assert.DoesNotContain(ProfileComparer.Compare(comparison.Baseline, comparison.Incident).Increased, f => f.Delta >= 1);
    }
}
