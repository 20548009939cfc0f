namespace AutoCapture.IntegrationTests.Faults;

/// <summary>
/// The fault-injection scenarios run one at a time and alone: each starts the webhook app, a collector, Azurite and
/// CPU-burning targets as processes, kills some of them, and measures recovery against short deadlines that
/// parallel load on a 2-core machine would distort.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultsCollection
{
    public const string Name = "fault injection";
}
