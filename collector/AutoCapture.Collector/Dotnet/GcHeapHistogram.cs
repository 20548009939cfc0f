using AutoCapture.Core.Summaries;
using AutoCapture.Profiles.Histograms;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace AutoCapture.Collector.Dotnet;

/// <summary>
/// Builds a type histogram from the events of a GC heap snapshot: BulkType names each type id, BulkNode lists every
/// live object (address, size, type id) during the snapshot GC. The snapshot is complete when that GC ends.
/// </summary>
internal sealed class GcHeapHistogram
{
    public const int DefaultTop = 20;

    private readonly Dictionary<ulong, string> typeNames = [];
    private readonly Dictionary<ulong, (long Count, long Bytes)> byType = [];
    private int currentGc = -1;
    private int snapshotGc = -1;
    private double gcStartMs;
    private double? pauseMs;

    public long ObjectCount { get; private set; }

    public void Subscribe(EventPipeEventSource source, Action complete)
    {
        source.Clr.GCStart += data =>
        {
            currentGc = data.Count;
            gcStartMs = data.TimeStampRelativeMSec;
        };
        source.Clr.TypeBulkType += data =>
        {
            for (var i = 0; i < data.Count; i++)
            {
                var type = data.Values(i);
                typeNames[type.TypeID] = type.TypeName;
            }
        };
        source.Clr.GCBulkNode += data =>
        {
            snapshotGc = currentGc;
            for (var i = 0; i < data.Count; i++)
            {
                var node = data.Values(i);
                var (count, bytes) = byType.GetValueOrDefault(node.TypeID);
                byType[node.TypeID] = (count + 1, bytes + (long)node.Size);
                ObjectCount++;
            }
        };
        source.Clr.GCStop += data =>
        {
            if (snapshotGc >= 0 && data.Count == snapshotGc)
            {
                pauseMs = Math.Round(data.TimeStampRelativeMSec - gcStartMs, 2);
                complete();
            }
        };
    }

    public HeapSummary Summarize(int top = DefaultTop)
    {
        var types = Types();
        var entries = types.Types
            .Take(top)
            .Select(e => new HeapEntry(e.Name, e.Bytes, e.Objects, types.TotalBytes == 0 ? 0 : Math.Round(100.0 * e.Bytes / types.TotalBytes, 2)))
            .ToList();
        return new HeapSummary("type", types.TotalBytes, ObjectCount, entries, pauseMs);
    }

    /// <summary>Every type by name (ids of one name merged), largest first: heap.types.json, which diffs read.</summary>
    public TypeHistogram Types() => TypeHistogram.Create(byType
        .GroupBy(pair => typeNames.GetValueOrDefault(pair.Key) ?? $"(type 0x{pair.Key:x})")
        .Select(group => new TypeValue(group.Key, group.Sum(p => p.Value.Bytes), group.Sum(p => p.Value.Count))));
}
