using System.Runtime.CompilerServices;

namespace AutoCapture.TestTarget;

/// <summary>The type that holds the heap in "heap" mode: large enough per object to top any histogram by bytes.</summary>
public sealed class PlantedLeakedOrder
{
    public PlantedLeakedOrder(int id) => Id = id;

    public int Id { get; }

    public OrderLines Lines { get; set; }
}

/// <summary>Half a kilobyte inline, so the bytes count against PlantedLeakedOrder itself, not a separate array.</summary>
[InlineArray(64)]
public struct OrderLines
{
    private long _element0;
}

/// <summary>Small itself, but the only holder of a 4 KiB buffer: by type the heap is byte[], by retention it is this.</summary>
public sealed class PlantedInvoiceArchive(int id)
{
    public int Id { get; } = id;

    public byte[] Scan { get; } = new byte[4096];
}

public static class PlantedHeap
{
    // Held for the life of the process: the leak.
    private static readonly List<PlantedLeakedOrder> Held = [];
    private static readonly List<PlantedInvoiceArchive> Archives = [];

    public static void HoldArchives(int count)
    {
        for (var i = 0; i < count; i++)
        {
            Archives.Add(new PlantedInvoiceArchive(i));
        }
    }

    public static void HoldOrders(int count)
    {
        for (var i = 0; i < count; i++)
        {
            Held.Add(new PlantedLeakedOrder(i));
        }
    }
}
