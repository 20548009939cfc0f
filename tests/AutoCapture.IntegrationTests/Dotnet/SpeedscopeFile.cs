using System.Text.Json;

namespace AutoCapture.IntegrationTests.Dotnet;

/// <summary>
/// Checks a speedscope file the way speedscope's importer reads it: the schema, frames by index, and evented
/// profiles whose open/close events nest like a call stack, in time order, within the profile's range.
/// </summary>
public static class SpeedscopeFile
{
    public const string Schema = "https://www.speedscope.app/file-format-schema.json";

    /// <returns>The names of the shared frames.</returns>
    public static IReadOnlyList<string> AssertOpens(JsonElement root)
    {
        Assert.Equal(Schema, root.GetProperty("$schema").GetString());
        var frames = root.GetProperty("shared").GetProperty("frames").EnumerateArray()
            .Select(frame => frame.GetProperty("name").GetString()!)
            .ToList();
        var profiles = root.GetProperty("profiles").EnumerateArray().ToList();
        Assert.NotEmpty(profiles);
        Assert.All(profiles, profile => AssertEvented(profile, frames.Count));
        return frames;
    }

    private static void AssertEvented(JsonElement profile, int frameCount)
    {
        Assert.Equal("evented", profile.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(profile.GetProperty("name").GetString()));
        var start = profile.GetProperty("startValue").GetDouble();
        var end = profile.GetProperty("endValue").GetDouble();
        var open = new Stack<int>();
        var previous = start;
        var events = profile.GetProperty("events").EnumerateArray().ToList();
        Assert.NotEmpty(events);
        foreach (var item in events)
        {
            var frame = item.GetProperty("frame").GetInt32();
            var at = item.GetProperty("at").GetDouble();
            Assert.InRange(frame, 0, frameCount - 1);
            Assert.InRange(at, previous, end);
            previous = at;
            switch (item.GetProperty("type").GetString())
            {
                case "O":
                    open.Push(frame);
                    break;
                case "C":
                    Assert.True(open.TryPop(out var top) && top == frame, $"close of frame {frame} does not match the open stack");
                    break;
                default:
                    Assert.Fail($"unknown event type in {item}");
                    break;
            }
        }

        Assert.Empty(open);
    }
}
