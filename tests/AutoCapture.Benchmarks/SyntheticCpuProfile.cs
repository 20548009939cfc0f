using System.IO.Compression;
using AutoCapture.Profiles.Pprof.Wire;
using Google.Protobuf;
using WireValueType = AutoCapture.Profiles.Pprof.Wire.ValueType;

namespace AutoCapture.Benchmarks;

/// <summary>
/// A CPU profile shaped like a big Go service's: a few thousand functions called in deep, branching stacks, some
/// frames inlined, one sample record per distinct stack. Grown until its gzip form reaches the asked size.
/// </summary>
internal static class SyntheticCpuProfile
{
    public static byte[] Build(long targetBytes, int seed)
    {
        var random = new Random(seed);
        var profile = new Profile();
        profile.StringTable.Add(string.Empty);
        long Str(string s)
        {
            profile.StringTable.Add(s);
            return profile.StringTable.Count - 1;
        }

        profile.SampleType.Add(new WireValueType { Type = Str("samples"), Unit = Str("count") });
        profile.SampleType.Add(new WireValueType { Type = Str("cpu"), Unit = Str("nanoseconds") });
        profile.PeriodType = new WireValueType { Type = Str("cpu"), Unit = Str("nanoseconds") };
        profile.Period = 10_000_000;
        profile.DurationNanos = 30_000_000_000;
        const int Functions = 8_000;
        var file = Str("/src/service/handler.go");
        for (var i = 1; i <= Functions; i++)
        {
            var name = Str($"github.com/example/service/pkg{i % 97}.(*Type{i % 31}).Method{i}");
            profile.Function.Add(new Function { Id = (ulong)i, Name = name, SystemName = name, Filename = file, StartLine = i });
        }

        const int Locations = 40_000;
        for (var i = 1; i <= Locations; i++)
        {
            var location = new Location { Id = (ulong)i, MappingId = 0, Address = 0x400000 + (ulong)i * 16 };
            location.Line.Add(new Line { FunctionId = (ulong)random.Next(1, Functions + 1), Line_ = random.Next(1, 500) });
            if (random.Next(5) == 0)
            {
                location.Line.Add(new Line { FunctionId = (ulong)random.Next(1, Functions + 1), Line_ = random.Next(1, 500) });
            }

            profile.Location.Add(location);
        }

        // Stacks share prefixes (the callers), as real ones do: each new stack extends a random earlier one.
        var stacks = new List<ulong[]> { new[] { 1UL } };
        while (true)
        {
            for (var i = 0; i < 20_000; i++)
            {
                var parent = stacks[random.Next(stacks.Count)];
                var depth = Math.Min(parent.Length + random.Next(1, 4), 64);
                var stack = new ulong[depth];
                Array.Copy(parent, 0, stack, depth - parent.Length, Math.Min(parent.Length, depth));
                for (var j = 0; j < depth - parent.Length; j++)
                {
                    stack[j] = (ulong)random.Next(1, Locations + 1);
                }

                stacks.Add(stack);
                var sample = new Sample();
                sample.LocationId.AddRange(stack);
                var count = random.Next(1, 50);
                sample.Value.Add(count);
                sample.Value.Add(count * 10_000_000L);
                profile.Sample.Add(sample);
            }

            var bytes = Gzip(profile.ToByteArray());
            if (bytes.Length >= targetBytes)
            {
                return bytes;
            }
        }
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }
}
