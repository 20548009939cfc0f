using System.Text.Json;
using System.Text.Json.Serialization;

namespace AutoCapture.Core.Json;

/// <summary>One set of JSON options for everything AutoCapture writes: manifests, results, requests, answers.</summary>
public static class AutoCaptureJson
{
    public static JsonSerializerOptions Options { get; } = Create(indented: false);

    public static JsonSerializerOptions Indented { get; } = Create(indented: true);

    private static JsonSerializerOptions Create(bool indented)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = indented,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    public static byte[] Serialize<T>(T value, bool indented = false) =>
        JsonSerializer.SerializeToUtf8Bytes(value, indented ? Indented : Options);

    public static T Deserialize<T>(ReadOnlySpan<byte> utf8) =>
        JsonSerializer.Deserialize<T>(utf8, Options) ?? throw new JsonException($"Expected a {typeof(T).Name}, found null.");

    public static async Task<T> DeserializeAsync<T>(Stream stream, CancellationToken cancellationToken) =>
        await JsonSerializer.DeserializeAsync<T>(stream, Options, cancellationToken)
        ?? throw new JsonException($"Expected a {typeof(T).Name}, found null.");
}
