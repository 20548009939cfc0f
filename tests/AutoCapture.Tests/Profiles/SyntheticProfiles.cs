using System.IO.Compression;
using AutoCapture.Profiles.Pprof.Wire;
using Google.Protobuf;
using WireValueType = AutoCapture.Profiles.Pprof.Wire.ValueType;

namespace AutoCapture.Tests.Profiles;

/// <summary>Builds pprof profiles message by message, as Go's runtime/pprof lays them out.</summary>
internal sealed class SyntheticProfiles
{
    private readonly Profile profile = new();
    private readonly Dictionary<string, long> strings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ulong> functions = new(StringComparer.Ordinal);

    public SyntheticProfiles(params (string Type, string Unit)[] sampleTypes)
    {
        String(string.Empty);
        foreach (var (type, unit) in sampleTypes)
        {
            profile.SampleType.Add(new WireValueType { Type = String(type), Unit = String(unit) });
        }
    }

    public Profile Profile => profile;

    /// <summary>Source files of functions not yet added (by name); others are in main.go.</summary>
    public Dictionary<string, string> Files { get; } = new(StringComparer.Ordinal);

    public long String(string value)
    {
        if (!strings.TryGetValue(value, out var index))
        {
            index = profile.StringTable.Count;
            profile.StringTable.Add(value);
            strings.Add(value, index);
        }

        return index;
    }

    /// <summary>A location holding <paramref name="inlined"/> functions, innermost first (the last is the caller).</summary>
    public ulong Location(params string[] inlined)
    {
        var location = new Location { Id = (ulong)profile.Location.Count + 1, Address = 0x1000 + (ulong)profile.Location.Count };
        foreach (var name in inlined)
        {
            location.Line.Add(new Line { FunctionId = Function(name), Line_ = 1 });
        }

        profile.Location.Add(location);
        return location.Id;
    }

    public ulong Function(string name)
    {
        if (!functions.TryGetValue(name, out var id))
        {
            id = (ulong)functions.Count + 1;
            profile.Function.Add(new Function { Id = id, Name = String(name), SystemName = String(name), Filename = String(Files.GetValueOrDefault(name, "main.go")) });
            functions.Add(name, id);
        }

        return id;
    }

    public SyntheticProfiles Sample(long[] values, params ulong[] locations)
    {
        var sample = new Sample();
        sample.LocationId.AddRange(locations);
        sample.Value.AddRange(values);
        profile.Sample.Add(sample);
        return this;
    }

    public byte[] Bare() => profile.ToByteArray();

    public byte[] Gzipped() => Gzip(profile.ToByteArray());

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    /// <summary>A cpu profile like Go's: samples/count and cpu/nanoseconds, 10 ms period.</summary>
    public static SyntheticProfiles Cpu()
    {
        var cpu = new SyntheticProfiles(("samples", "count"), ("cpu", "nanoseconds"));
        cpu.profile.PeriodType = new WireValueType { Type = cpu.String("cpu"), Unit = cpu.String("nanoseconds") };
        cpu.profile.Period = 10_000_000;
        cpu.profile.DurationNanos = 2_000_000_000;
        return cpu;
    }
}
