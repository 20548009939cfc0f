using System.Text.Json;

namespace AutoCapture.Diffs;

/// <summary>
/// Puts the profiles of two speedscope files into one, each named after its side ("incident · Thread (42)",
/// "baseline · Thread (42)"), so both open together at speedscope.app and can be switched between. Frames of the
/// second file are renumbered after the first's.
/// </summary>
public static class SpeedscopeMerger
{
    public const string Schema = "https://www.speedscope.app/file-format-schema.json";

    public static async Task MergeAsync(Stream incident, Stream baseline, Stream output, string name, CancellationToken cancellationToken)
    {
        using var first = await ParseAsync(incident, "the incident's", cancellationToken);
        using var second = await ParseAsync(baseline, "the baseline's", cancellationToken);
        var incidentFrames = Frames(first.RootElement, "the incident's");
        var baselineFrames = Frames(second.RootElement, "the baseline's");
        await using var writer = new Utf8JsonWriter(output);
        writer.WriteStartObject();
        writer.WriteString("$schema", Schema);
        writer.WriteString("name", name);
        writer.WriteString("exporter", "AutoCapture");
        writer.WriteNumber("activeProfileIndex", 0);
        writer.WriteStartObject("shared");
        writer.WriteStartArray("frames");
        foreach (var frame in incidentFrames.EnumerateArray().Concat(baselineFrames.EnumerateArray()))
        {
            frame.WriteTo(writer);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteStartArray("profiles");
        WriteProfiles(writer, first.RootElement, "incident", 0);
        WriteProfiles(writer, second.RootElement, "baseline", incidentFrames.GetArrayLength());
        writer.WriteEndArray();
        writer.WriteEndObject();
        await writer.FlushAsync(cancellationToken);
    }

    private static async Task<JsonDocument> ParseAsync(Stream stream, string side, CancellationToken cancellationToken)
    {
        try
        {
            return await JsonDocument.ParseAsync(stream, default, cancellationToken);
        }
        catch (JsonException e)
        {
            throw new FormatException($"{side} speedscope file is not JSON: {e.Message}", e);
        }
    }

    private static JsonElement Frames(JsonElement root, string side) =>
        root.ValueKind == JsonValueKind.Object
        && root.TryGetProperty("shared", out var shared) && shared.ValueKind == JsonValueKind.Object
        && shared.TryGetProperty("frames", out var frames) && frames.ValueKind == JsonValueKind.Array
        && root.TryGetProperty("profiles", out var profiles) && profiles.ValueKind == JsonValueKind.Array
            ? frames
            : throw new FormatException($"{side} speedscope file has no shared.frames and profiles arrays");

    private static void WriteProfiles(Utf8JsonWriter writer, JsonElement root, string side, int frameOffset)
    {
        foreach (var profile in root.GetProperty("profiles").EnumerateArray())
        {
            if (profile.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"the {side}'s speedscope file has a profile that is not an object");
            }

            writer.WriteStartObject();
            foreach (var property in profile.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "name":
                        writer.WriteString("name", $"{side} · {(property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : "profile")}");
                        break;
                    case "events" when property.Value.ValueKind == JsonValueKind.Array:
                        writer.WriteStartArray("events");
                        foreach (var item in property.Value.EnumerateArray())
                        {
                            WriteEvent(writer, item, frameOffset);
                        }

                        writer.WriteEndArray();
                        break;
                    case "samples" when property.Value.ValueKind == JsonValueKind.Array:
                        writer.WriteStartArray("samples");
                        foreach (var stack in property.Value.EnumerateArray())
                        {
                            writer.WriteStartArray();
                            foreach (var frame in stack.EnumerateArray())
                            {
                                writer.WriteNumberValue(frame.GetInt32() + frameOffset);
                            }

                            writer.WriteEndArray();
                        }

                        writer.WriteEndArray();
                        break;
                    default:
                        property.WriteTo(writer);
                        break;
                }
            }

            writer.WriteEndObject();
        }
    }

    private static void WriteEvent(Utf8JsonWriter writer, JsonElement item, int frameOffset)
    {
        writer.WriteStartObject();
        foreach (var field in item.EnumerateObject())
        {
            if (field.Name == "frame" && field.Value.ValueKind == JsonValueKind.Number)
            {
                writer.WriteNumber("frame", field.Value.GetInt32() + frameOffset);
            }
            else
            {
                field.WriteTo(writer);
            }
        }

        writer.WriteEndObject();
    }
}
