using AutoCapture.Profiles.Pprof.Wire;
using Google.Protobuf;

namespace AutoCapture.Profiles.Pprof;

/// <summary>
/// A pprof profile, parsed and checked: every string, function and location a sample refers to exists, and every
/// sample has one value per sample type. Frames are resolved to function names, innermost first, inlined calls
/// included.
/// </summary>
/// <remarks>
/// Samples are read one at a time into flat arrays (location indexes, values) rather than kept as protobuf objects:
/// a 10 MB profile has hundreds of thousands of samples, and an object each (with its repeated fields) costs several
/// times the arrays' memory. Functions and locations, far fewer, are read as messages.
/// </remarks>
public sealed class PprofProfile
{
    /// <summary>A profile larger than this when inflated is refused rather than read into memory.</summary>
    public const long MaxInflatedBytes = 1L << 30;

    private readonly int[] sampleStarts;
    private readonly int[] sampleLocations;
    private readonly long[] values;
    private readonly int[][] framesByLocation;

    private PprofProfile(Reader reader)
    {
        SampleTypes = reader.SampleTypes;
        DefaultSampleType = reader.DefaultSampleType;
        FunctionNames = reader.Names;
        FunctionFiles = reader.Files;
        Period = reader.Period;
        PeriodType = reader.PeriodType;
        DurationSeconds = reader.DurationNanos / 1e9;
        sampleStarts = reader.SampleStarts;
        sampleLocations = reader.SampleLocations;
        values = reader.Values;
        framesByLocation = reader.FramesByLocation;
        StringCount = reader.Strings.Count;
        MaxFunctionId = reader.MaxFunctionId;
        MaxLocationId = reader.MaxLocationId;
        MaxMappingId = reader.MaxMappingId;
    }

    public IReadOnlyList<(string Type, string Unit)> SampleTypes { get; }

    /// <summary>Index into <see cref="SampleTypes"/> of the type pprof shows by default: the one named, else the last.</summary>
    public int DefaultSampleType { get; }

    /// <summary>Distinct function names; frames are indexes into this list.</summary>
    public IReadOnlyList<string> FunctionNames { get; }

    /// <summary>The source file of each of <see cref="FunctionNames"/> (Function.filename), null where the profile has none.</summary>
    public IReadOnlyList<string?> FunctionFiles { get; }

    public int SampleCount => sampleStarts.Length - 1;

    public long Period { get; }

    public (string Type, string Unit) PeriodType { get; }

    public double DurationSeconds { get; }

    /// <summary>Entries of the string table (the diff writer numbers a second profile's strings after these).</summary>
    internal int StringCount { get; }

    internal ulong MaxFunctionId { get; }

    internal ulong MaxLocationId { get; }

    internal ulong MaxMappingId { get; }

    /// <summary>Reads a profile as served: gzip-framed (checked for truncation) or bare protobuf.</summary>
    public static PprofProfile Parse(byte[] data) => ParseInflated(Inflate(data));

    /// <summary>The bare protobuf of a profile as served (gzip-framed or not).</summary>
    internal static byte[] Inflate(byte[] data)
    {
        if (data.Length == 0)
        {
            throw new ProfileFormatException("empty input: a pprof profile has at least a sample type");
        }

        return GzipFraming.IsGzip(data) ? GzipFraming.Decompress(data, MaxInflatedBytes) : data;
    }

    internal static PprofProfile ParseInflated(byte[] bytes)
    {
        var reader = new Reader();
        try
        {
            reader.Read(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ProfileFormatException($"not a pprof profile: the protobuf is malformed ({e.Message})", e);
        }

        reader.Resolve();
        return new PprofProfile(reader);
    }

    /// <summary>The sample's locations, innermost first, as indexes for <see cref="Frames"/>.</summary>
    internal ReadOnlySpan<int> Locations(int sample) => sampleLocations.AsSpan(sampleStarts[sample], sampleStarts[sample + 1] - sampleStarts[sample]);

    /// <summary>The frames (indexes into <see cref="FunctionNames"/>) of a location, innermost (inlined) first.</summary>
    internal int[] Frames(int location) => framesByLocation[location];

    public long Value(int sample, int sampleType) => values[(sample * SampleTypes.Count) + sampleType];

    /// <summary>Index of the sample type named <paramref name="type"/>, or -1.</summary>
    public int FindSampleType(string type)
    {
        for (var i = 0; i < SampleTypes.Count; i++)
        {
            if (SampleTypes[i].Type == type)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Profile.proto's top-level fields as tags (field number and wire type).</summary>
    internal static class Tags
    {
        public const uint SampleType = (1 << 3) | 2;
        public const uint Sample = (2 << 3) | 2;
        public const uint Mapping = (3 << 3) | 2;
        public const uint Location = (4 << 3) | 2;
        public const uint Function = (5 << 3) | 2;
        public const uint String = (6 << 3) | 2;
        public const uint DurationNanos = 10 << 3;
        public const uint PeriodType = (11 << 3) | 2;
        public const uint Period = 12 << 3;
        public const uint Comment = 13 << 3;
        public const uint DefaultSampleType = 14 << 3;
    }

    /// <summary>One pass over the message, field by field, then the checks and the resolution of ids to indexes.</summary>
    private sealed class Reader
    {
        private readonly List<Wire.ValueType> sampleTypes = [];
        private readonly List<Function> functions = [];
        private readonly List<Location> locations = [];
        private readonly List<int> starts = [0];
        private readonly List<ulong> locationIds = [];
        private readonly List<long> sampleValues = [];
        private readonly HashSet<int> valueCounts = [];
        private Wire.ValueType? periodType;
        private long defaultSampleType;

        public List<string> Strings { get; } = [];
        public List<(string Type, string Unit)> SampleTypes { get; private set; } = [];
        public int DefaultSampleType { get; private set; }
        public List<string> Names { get; } = [];
        public List<string?> Files { get; } = [];
        public long Period { get; private set; }
        public (string Type, string Unit) PeriodType { get; private set; } = (string.Empty, string.Empty);
        public long DurationNanos { get; private set; }
        public int[] SampleStarts { get; private set; } = [];
        public int[] SampleLocations { get; private set; } = [];
        public long[] Values { get; private set; } = [];
        public int[][] FramesByLocation { get; private set; } = [];
        public ulong MaxFunctionId { get; private set; }
        public ulong MaxLocationId { get; private set; }
        public ulong MaxMappingId { get; private set; }

        public void Read(byte[] bytes)
        {
            var input = new CodedInputStream(bytes);
            var sample = new Sample();
            var mapping = new Mapping();
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                switch (tag)
                {
                    case Tags.SampleType:
                        var type = new Wire.ValueType();
                        input.ReadMessage(type);
                        sampleTypes.Add(type);
                        break;
                    case Tags.Sample:
                        sample.LocationId.Clear();
                        sample.Value.Clear();
                        sample.Label.Clear();
                        input.ReadMessage(sample);
                        locationIds.AddRange(sample.LocationId);
                        starts.Add(locationIds.Count);
                        sampleValues.AddRange(sample.Value);
                        valueCounts.Add(sample.Value.Count);
                        break;
                    case Tags.Mapping:
                        mapping.Id = 0;
                        input.ReadMessage(mapping);
                        MaxMappingId = Math.Max(MaxMappingId, mapping.Id);
                        break;
                    case Tags.Location:
                        var location = new Location();
                        input.ReadMessage(location);
                        locations.Add(location);
                        break;
                    case Tags.Function:
                        var function = new Function();
                        input.ReadMessage(function);
                        functions.Add(function);
                        break;
                    case Tags.String:
                        Strings.Add(input.ReadString());
                        break;
                    case Tags.DurationNanos:
                        DurationNanos = input.ReadInt64();
                        break;
                    case Tags.PeriodType:
                        periodType ??= new Wire.ValueType();
                        input.ReadMessage(periodType);
                        break;
                    case Tags.Period:
                        Period = input.ReadInt64();
                        break;
                    case Tags.DefaultSampleType:
                        defaultSampleType = input.ReadInt64();
                        break;
                    default:
                        input.SkipLastField();
                        break;
                }
            }
        }

        public void Resolve()
        {
            if (Strings.Count == 0 || Strings[0].Length != 0)
            {
                throw new ProfileFormatException("not a pprof profile: its string table must start with the empty string");
            }

            if (sampleTypes.Count == 0)
            {
                throw new ProfileFormatException("not a pprof profile: it declares no sample type");
            }

            SampleTypes = sampleTypes.Select(t => (String(t.Type, "sample type"), String(t.Unit, "sample unit"))).ToList();
            if (valueCounts.FirstOrDefault(count => count != sampleTypes.Count, -1) is var wrong and >= 0)
            {
                throw new ProfileFormatException($"corrupt profile: a sample has {wrong} values for {sampleTypes.Count} sample types");
            }

            if (periodType is not null)
            {
                PeriodType = (String(periodType.Type, "period type"), String(periodType.Unit, "period unit"));
            }

            DefaultSampleType = FindDefault();
            ResolveFunctionsAndFrames();
            var locationIndex = IndexLocations();
            SampleStarts = [.. starts];
            Values = [.. sampleValues];
            var resolved = new int[locationIds.Count];
            for (var i = 0; i < resolved.Length; i++)
            {
                var id = locationIds[i];
                resolved[i] = id < (ulong)locationIndex.Dense.Length && locationIndex.Dense[id] > 0 ? locationIndex.Dense[id] - 1
                    : locationIndex.Sparse?.TryGetValue(id, out var index) == true ? index
                    : throw new ProfileFormatException($"corrupt profile: a sample refers to location {id}, which is not defined");
            }

            SampleLocations = resolved;
        }

        private int FindDefault()
        {
            if (defaultSampleType != 0)
            {
                var name = String(defaultSampleType, "default sample type");
                for (var i = 0; i < SampleTypes.Count; i++)
                {
                    if (SampleTypes[i].Type == name)
                    {
                        return i;
                    }
                }
            }

            return SampleTypes.Count - 1;
        }

        private void ResolveFunctionsAndFrames()
        {
            var nameIndex = new Dictionary<string, int>(StringComparer.Ordinal);
            var functionFrame = new Dictionary<ulong, int>(functions.Count);
            foreach (var function in functions)
            {
                var name = String(function.Name, $"function {function.Id} name");
                if (name.Length == 0)
                {
                    name = String(function.SystemName, $"function {function.Id} system name");
                }

                var frame = Intern(name, nameIndex);
                if (!functionFrame.TryAdd(function.Id, frame))
                {
                    throw new ProfileFormatException($"corrupt profile: function id {function.Id} is defined twice");
                }

                if (Files[frame] is null && String(function.Filename, $"function {function.Id} file name") is { Length: > 0 } file)
                {
                    Files[frame] = file;
                }

                MaxFunctionId = Math.Max(MaxFunctionId, function.Id);
            }

            FramesByLocation = new int[locations.Count][];
            for (var i = 0; i < locations.Count; i++)
            {
                var location = locations[i];
                if (location.Line.Count == 0)
                {
                    // Not symbolised: pprof shows the address.
                    FramesByLocation[i] = [Intern($"0x{location.Address:x}", nameIndex)];
                    continue;
                }

                var frames = new int[location.Line.Count];
                for (var j = 0; j < frames.Length; j++)
                {
                    frames[j] = functionFrame.TryGetValue(location.Line[j].FunctionId, out var frame)
                        ? frame
                        : throw new ProfileFormatException($"corrupt profile: location {location.Id} refers to function {location.Line[j].FunctionId}, which is not defined");
                }

                FramesByLocation[i] = frames;
            }
        }

        /// <summary>Location ids to indexes: Go numbers them 1..N, so an array does; sparse ids fall back to a dictionary.</summary>
        private (int[] Dense, Dictionary<ulong, int>? Sparse) IndexLocations()
        {
            MaxLocationId = locations.Count == 0 ? 0 : locations.Max(l => l.Id);
            var dense = MaxLocationId <= (ulong)locations.Count * 2 + 16;
            var byId = dense ? new int[MaxLocationId + 1] : [];
            var sparse = dense ? null : new Dictionary<ulong, int>(locations.Count);
            for (var i = 0; i < locations.Count; i++)
            {
                var id = locations[i].Id;
                var duplicate = dense ? byId[id] != 0 : !sparse!.TryAdd(id, i);
                if (duplicate)
                {
                    throw new ProfileFormatException($"corrupt profile: location id {id} is defined twice");
                }

                if (dense)
                {
                    byId[id] = i + 1;
                }
            }

            return (byId, sparse);
        }

        private int Intern(string name, Dictionary<string, int> nameIndex)
        {
            if (!nameIndex.TryGetValue(name, out var index))
            {
                index = Names.Count;
                Names.Add(name);
                Files.Add(null);
                nameIndex.Add(name, index);
            }

            return index;
        }

        private string String(long index, string what) =>
            index >= 0 && index < Strings.Count
                ? Strings[(int)index]
                : throw new ProfileFormatException($"corrupt profile: {what} refers to string {index} of {Strings.Count}");
    }
}
