namespace AutoCapture.IntegrationTests.Dotnet;

/// <summary>
/// Tests that run target processes go one at a time and alone: on a 2-core host, parallel CPU burners would starve
/// each other, and a second target would make name selectors ambiguous.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DotnetTargetsCollection
{
    public const string Name = "dotnet targets";
}
