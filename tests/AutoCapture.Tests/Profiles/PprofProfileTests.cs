using AutoCapture.Profiles;
using AutoCapture.Profiles.Pprof;

namespace AutoCapture.Tests.Profiles;

public sealed class PprofProfileTests
{
    [Fact]
    public void Ranks_flat_by_innermost_frame_and_cum_once_per_sample_with_inlined_calls_and_recursion()
    {
        var p = SyntheticProfiles.Cpu();
        var main = p.Location("main.main");
        var work = p.Location("main.work");
        // hash was inlined into work: one location, two lines, innermost first.
        var inlined = p.Location("main.hash", "main.work");
        var recurse = p.Location("main.walk");
        p.Sample([3, 30_000_000], inlined, main)
            .Sample([1, 10_000_000], work, main)
            .Sample([2, 20_000_000], recurse, recurse, recurse, main)
            .Sample([4, 40_000_000], main);

        var summary = PprofSummarizer.Summarize(PprofProfile.Parse(p.Gzipped()));

        Assert.Equal(("cpu", "nanoseconds", 100_000_000L, 4L), (summary.SampleType, summary.Unit, summary.Total, summary.SampleCount));
        Assert.Equal((2.0, 10_000_000L, "cpu", "nanoseconds"), (summary.DurationSeconds, summary.Period, summary.PeriodType, summary.PeriodUnit));
        Assert.Equal(new[] { ("main.main", 40_000_000L, 40.0), ("main.hash", 30_000_000, 30), ("main.walk", 20_000_000, 20), ("main.work", 10_000_000, 10) },
            summary.TopFlat.Select(f => (f.Function, f.Value, f.Percent)));
        Assert.Equal(new[] { ("main.main", 100_000_000L), ("main.work", 40_000_000), ("main.hash", 30_000_000), ("main.walk", 20_000_000) },
            summary.TopCum.Select(f => (f.Function, f.Value)));
        Assert.Equal(new[] { ("samples", 10L), ("cpu", 100_000_000L) }, summary.SampleTypes.Select(t => (t.Type, t.Total)));
    }

    [Fact]
    public void Default_sample_type_is_the_named_one_else_the_last_and_any_other_can_be_asked_for()
    {
        var heap = new SyntheticProfiles(("alloc_objects", "count"), ("alloc_space", "bytes"), ("inuse_objects", "count"), ("inuse_space", "bytes"));
        var site = heap.Location("main.newOrder");
        heap.Sample([10, 1000, 2, 200], site);
        var last = PprofProfile.Parse(heap.Bare());
        heap.Profile.DefaultSampleType = heap.String("alloc_space");
        var named = PprofProfile.Parse(heap.Gzipped());

        Assert.Equal(("inuse_space", 200L), (PprofSummarizer.Summarize(last).SampleType, PprofSummarizer.Summarize(last).Total));
        Assert.Equal(("alloc_space", 1000L), (PprofSummarizer.Summarize(named).SampleType, PprofSummarizer.Summarize(named).Total));
        Assert.Equal(2, PprofSummarizer.Summarize(named, "inuse_objects").Total);
        var unknown = Assert.Throws<ProfileFormatException>(() => PprofSummarizer.Summarize(named, "delay"));
        Assert.Equal("the profile has no sample type 'delay' (it has alloc_objects, alloc_space, inuse_objects, inuse_space)", unknown.Message);
    }

    [Fact]
    public void Unsymbolised_locations_are_named_by_address()
    {
        var p = SyntheticProfiles.Cpu();
        p.Profile.Location.Add(new AutoCapture.Profiles.Pprof.Wire.Location { Id = 99, Address = 0xdeadbeef });
        p.Sample([1, 10], 99);

        Assert.Equal("0xdeadbeef", PprofSummarizer.Summarize(PprofProfile.Parse(p.Bare())).TopFlat[0].Function);
    }

    [Fact]
    public void A_truncated_gzip_body_is_refused_even_though_gzip_itself_would_not_notice()
    {
        var p = SyntheticProfiles.Cpu();
        for (var i = 0; i < 200; i++)
        {
            p.Sample([1, 10], p.Location($"main.f{i}"));
        }

        var full = p.Gzipped();
        foreach (var cut in new[] { full.Length - 1, full.Length - 8, full.Length / 2, 20 })
        {
            var failure = Assert.Throws<ProfileFormatException>(() => PprofProfile.Parse(full[..cut]));
            Assert.StartsWith("truncated or corrupt gzip", failure.Message, StringComparison.Ordinal);
        }

        Assert.StartsWith("truncated gzip: 10 bytes", Assert.Throws<ProfileFormatException>(() => PprofProfile.Parse(full[..10])).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("garbage")]
    [InlineData("no sample type")]
    [InlineData("missing location")]
    [InlineData("missing function")]
    [InlineData("string out of range")]
    [InlineData("value count")]
    public void Corrupt_profiles_are_refused_with_the_reason(string corruption)
    {
        var p = SyntheticProfiles.Cpu();
        var location = p.Location("main.f");
        p.Sample([1, 10], location);
        byte[] data;
        string expected;
        switch (corruption)
        {
            case "empty":
                (data, expected) = ([], "empty input");
                break;
            case "garbage":
                (data, expected) = ("this is not a profile"u8.ToArray(), "not a pprof profile");
                break;
            case "no sample type":
                p.Profile.SampleType.Clear();
                (data, expected) = (p.Bare(), "declares no sample type");
                break;
            case "missing location":
                p.Profile.Sample[0].LocationId.Add(12345);
                (data, expected) = (p.Bare(), "refers to location 12345, which is not defined");
                break;
            case "missing function":
                p.Profile.Location[0].Line[0].FunctionId = 777;
                (data, expected) = (p.Bare(), "refers to function 777, which is not defined");
                break;
            case "string out of range":
                p.Profile.Function[0].Name = 9999;
                (data, expected) = (p.Bare(), "refers to string 9999");
                break;
            default:
                p.Profile.Sample[0].Value.Add(5);
                (data, expected) = (p.Bare(), "has 3 values for 2 sample types");
                break;
        }

        var failure = Assert.Throws<ProfileFormatException>(() => PprofProfile.Parse(data));

        Assert.Contains(expected, failure.Message, StringComparison.Ordinal);
    }
}
