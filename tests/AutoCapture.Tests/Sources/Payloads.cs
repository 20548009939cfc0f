namespace AutoCapture.Tests.Sources;

/// <summary>Sample payloads as the real services send them (tests/AutoCapture.Tests/Sources/Payloads).</summary>
internal static class Payloads
{
    public static byte[] Read(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Sources", "Payloads", name));

    public static string Text(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Sources", "Payloads", name));
}
