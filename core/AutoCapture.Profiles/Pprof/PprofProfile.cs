using AutoCapture.Profiles.Pprof.Wire;
using Google.Protobuf;

namespace AutoCapture.Profiles.Pprof;

/// <summary>
/// A pprof profile, parsed and checked: every string, function and location a sample refers to exists, and every
/// sample has one value per sample type. Frames are resolved to function names, innermost first, inlined calls
/// included.
/// </summary>
public sealed class PprofProfile
{
    /// <summary>A profile larger than this when inflated is refused rather than read into memory.</summary>
    public const long MaxInflatedBytes = 1L << 30;

    private readonly Profile raw;
    private readonly int[][] framesByLocation;
    private readonly Dictionary<ulong, int> locationIndex;

    // Go numbers locations 1..N: then frames are found by id in an array, not a hash lookup per frame.
    private readonly int[][] framesById;

    private PprofProfile(Profile raw, IReadOnlyList<string> functionNames, int[][] framesByLocation, Dictionary<ulong, int> locationIndex)
    {
        this.raw = raw;
        FunctionNames = functionNames;
        this.framesByLocation = framesByLocation;
        this.locationIndex = locationIndex;
        framesById = DenseIndex(raw, framesByLocation);
        SampleTypes = raw.SampleType.Select(t => (String(t.Type, "sample type"), String(t.Unit, "sample unit"))).ToList();
        DefaultSampleType = FindDefaultSampleType();
    }

    public IReadOnlyList<(string Type, string Unit)> SampleTypes { get; }

    /// <summary>Index into <see cref="SampleTypes"/> of the type pprof shows by default: the one named, else the last.</summary>
    public int DefaultSampleType { get; }

    /// <summary>Distinct function names; frames are indexes into this list.</summary>
    public IReadOnlyList<string> FunctionNames { get; }

    public int SampleCount => raw.Sample.Count;

    public long Period => raw.Period;

    public (string Type, string Unit) PeriodType =>
        raw.PeriodType is null ? (string.Empty, string.Empty) : (String(raw.PeriodType.Type, "period type"), String(raw.PeriodType.Unit, "period unit"));

    public double DurationSeconds => raw.DurationNanos / 1e9;

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
        Profile raw;
        try
        {
            raw = Profile.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ProfileFormatException($"not a pprof profile: the protobuf is malformed ({e.Message})", e);
        }

        return Resolve(raw);
    }

    /// <summary>The message as parsed; the diff writer rewrites a baseline's in place.</summary>
    internal Profile Raw => raw;

    internal Google.Protobuf.Collections.RepeatedField<ulong> LocationIds(int sample) => raw.Sample[sample].LocationId;

    internal int[] LocationFrames(ulong locationId) =>
        locationId < (ulong)framesById.Length ? framesById[locationId] : framesByLocation[locationIndex[locationId]];

    public long Value(int sample, int sampleType) => raw.Sample[sample].Value[sampleType];

    private static PprofProfile Resolve(Profile raw)
    {
        var strings = raw.StringTable;
        if (strings.Count == 0 || strings[0].Length != 0)
        {
            throw new ProfileFormatException("not a pprof profile: its string table must start with the empty string");
        }

        if (raw.SampleType.Count == 0)
        {
            throw new ProfileFormatException("not a pprof profile: it declares no sample type");
        }

        var names = new List<string>();
        var nameIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var functionFrame = new Dictionary<ulong, int>();
        foreach (var function in raw.Function)
        {
            var name = StringAt(strings, function.Name, $"function {function.Id} name");
            if (name.Length == 0)
            {
                name = StringAt(strings, function.SystemName, $"function {function.Id} system name");
            }

            if (!nameIndex.TryGetValue(name, out var index))
            {
                index = names.Count;
                names.Add(name);
                nameIndex.Add(name, index);
            }

            if (!functionFrame.TryAdd(function.Id, index))
            {
                throw new ProfileFormatException($"corrupt profile: function id {function.Id} is defined twice");
            }
        }

        var locationIndex = new Dictionary<ulong, int>(raw.Location.Count);
        var framesByLocation = new int[raw.Location.Count][];
        for (var i = 0; i < raw.Location.Count; i++)
        {
            var location = raw.Location[i];
            if (!locationIndex.TryAdd(location.Id, i))
            {
                throw new ProfileFormatException($"corrupt profile: location id {location.Id} is defined twice");
            }

            if (location.Line.Count == 0)
            {
                // Not symbolised: pprof shows the address.
                var name = $"0x{location.Address:x}";
                if (!nameIndex.TryGetValue(name, out var index))
                {
                    index = names.Count;
                    names.Add(name);
                    nameIndex.Add(name, index);
                }

                framesByLocation[i] = [index];
                continue;
            }

            var frames = new int[location.Line.Count];
            for (var j = 0; j < frames.Length; j++)
            {
                frames[j] = functionFrame.TryGetValue(location.Line[j].FunctionId, out var frame)
                    ? frame
                    : throw new ProfileFormatException($"corrupt profile: location {location.Id} refers to function {location.Line[j].FunctionId}, which is not defined");
            }

            framesByLocation[i] = frames;
        }

        foreach (var sample in raw.Sample)
        {
            if (sample.Value.Count != raw.SampleType.Count)
            {
                throw new ProfileFormatException($"corrupt profile: a sample has {sample.Value.Count} values for {raw.SampleType.Count} sample types");
            }

            foreach (var id in sample.LocationId)
            {
                if (!locationIndex.ContainsKey(id))
                {
                    throw new ProfileFormatException($"corrupt profile: a sample refers to location {id}, which is not defined");
                }
            }
        }

        return new PprofProfile(raw, names, framesByLocation, locationIndex);
    }

    private static int[][] DenseIndex(Profile raw, int[][] framesByLocation)
    {
        var maxId = raw.Location.Count == 0 ? 0UL : raw.Location.Max(l => l.Id);
        if (maxId > (ulong)raw.Location.Count * 2 + 16)
        {
            return [];
        }

        var byId = new int[maxId + 1][];
        for (var i = 0; i < raw.Location.Count; i++)
        {
            byId[raw.Location[i].Id] = framesByLocation[i];
        }

        return byId;
    }

    private int FindDefaultSampleType()
    {
        if (raw.DefaultSampleType != 0)
        {
            var name = String(raw.DefaultSampleType, "default sample type");
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

    private string String(long index, string what) => StringAt(raw.StringTable, index, what);

    private static string StringAt(Google.Protobuf.Collections.RepeatedField<string> strings, long index, string what) =>
        index >= 0 && index < strings.Count
            ? strings[(int)index]
            : throw new ProfileFormatException($"corrupt profile: {what} refers to string {index} of {strings.Count}");
}
