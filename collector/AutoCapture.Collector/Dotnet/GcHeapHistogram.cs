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

    // The snapshot's reference graph: nodes in the order the runtime walked them, each owning the next EdgeCount
    // edge targets. The two streams are flushed separately, so they are matched only once the snapshot is complete.
    private readonly List<(ulong Address, ulong TypeId, long Size, long EdgeCount)> nodes = [];
    private readonly List<ulong> edgeTargets = [];
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
                nodes.Add((node.Address, node.TypeID, (long)node.Size, node.EdgeCount));
                ObjectCount++;
            }
        };
        source.Clr.GCBulkEdge += data =>
        {
            for (var i = 0; i < data.Count; i++)
            {
                edgeTargets.Add(data.Values(i).Target);
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
        return new HeapSummary("type", types.TotalBytes, ObjectCount, entries, pauseMs) { RetainedBy = RetainedBy(types.TotalBytes, top) };
    }

    /// <summary>
    /// Application types by what they keep alive: their own bytes plus every object that only their instances point
    /// to (one level, as a dominant referrer would). A heap that is mostly byte[] reads as the type holding the arrays.
    /// </summary>
    private List<RetainedStat> RetainedBy(long totalBytes, int top)
    {
        var objects = new Dictionary<ulong, (ulong TypeId, long Size)>(nodes.Count);
        foreach (var node in nodes)
        {
            objects[node.Address] = (node.TypeId, node.Size);
        }

        // Each target's referrer type, or null once a second referrer shows it is shared.
        var soleReferrer = new Dictionary<ulong, ulong?>();
        var edge = 0;
        foreach (var node in nodes)
        {
            for (var i = 0; i < node.EdgeCount && edge < edgeTargets.Count; i++, edge++)
            {
                var target = edgeTargets[edge];
                if (target != node.Address)
                {
                    soleReferrer[target] = soleReferrer.ContainsKey(target) ? null : node.TypeId;
                }
            }
        }

        var retained = new Dictionary<ulong, (long Bytes, Dictionary<ulong, long> Through)>();
        foreach (var (target, referrer) in soleReferrer)
        {
            if (referrer is { } type && objects.TryGetValue(target, out var held))
            {
                var entry = retained.TryGetValue(type, out var seen) ? seen : (0, new Dictionary<ulong, long>());
                entry.Through[held.TypeId] = entry.Through.GetValueOrDefault(held.TypeId) + held.Size;
                retained[type] = (entry.Bytes + held.Size, entry.Through);
            }
        }

        string Name(ulong type) => typeNames.GetValueOrDefault(type) ?? $"(type 0x{type:x})";
        return [.. retained
            .Where(pair => OwnCode.IsOwnDotnetFrame(Name(pair.Key)))
            .Select(pair =>
            {
                var (count, own) = byType.GetValueOrDefault(pair.Key);
                var bytes = own + pair.Value.Bytes;
                return new RetainedStat(Name(pair.Key), bytes, count, totalBytes == 0 ? 0 : Math.Round(100.0 * bytes / totalBytes, 2), Name(pair.Value.Through.MaxBy(t => t.Value).Key));
            })
            .OrderByDescending(r => r.Bytes)
            .Take(top)];
    }

    /// <summary>Every type by name (ids of one name merged), largest first: heap.types.json, which diffs read.</summary>
    public TypeHistogram Types() => TypeHistogram.Create(byType
        .GroupBy(pair => typeNames.GetValueOrDefault(pair.Key) ?? $"(type 0x{pair.Key:x})")
        .Select(group => new TypeValue(group.Key, group.Sum(p => p.Value.Bytes), group.Sum(p => p.Value.Count))));
}
