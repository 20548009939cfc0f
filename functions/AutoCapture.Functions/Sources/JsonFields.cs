using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AutoCapture.Functions.Sources;

/// <summary>Typed reads from a JSON payload that fail with the field's path in the message.</summary>
internal static partial class JsonFields
{
    public const int MaxStringLength = 16 * 1024;

    // RFC 3339 exactly (with Go's nine fraction digits): the culture-aware parser alone would also take "1/2/2026".
    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})\z", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339();

    public static JsonElement RequiredObject(JsonElement parent, string name, string path)
    {
        if (!parent.TryGetProperty(name, out var value))
        {
            throw new AlertPayloadException($"{path}{name} is required");
        }

        return value.ValueKind == JsonValueKind.Object
            ? value
            : throw new AlertPayloadException($"{path}{name} must be an object, not {Describe(value)}");
    }

    public static string RequiredString(JsonElement parent, string name, string path) =>
        OptionalString(parent, name, path) ?? throw new AlertPayloadException($"{path}{name} is required");

    public static string? OptionalString(JsonElement parent, string name, string path)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw new AlertPayloadException($"{path}{name} must be a string, not {Describe(value)}");
        }

        var text = Text(value, path, name, null);
        return text.Length <= MaxStringLength
            ? text
            : throw new AlertPayloadException($"{path}{name} is {text.Length} characters long; the limit is {MaxStringLength}");
    }

    public static DateTimeOffset? OptionalTimestamp(JsonElement parent, string name, string path)
    {
        var text = OptionalString(parent, name, path);
        if (text is null)
        {
            return null;
        }

        return Rfc3339().IsMatch(text) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value)
            ? value
            : throw new AlertPayloadException($"{path}{name} '{Shorten(text)}' is not an RFC 3339 timestamp");
    }

    public static Dictionary<string, string> StringMap(JsonElement parent, string name, string path, bool required)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return required ? throw new AlertPayloadException($"{path}{name} is required") : new Dictionary<string, string>(StringComparer.Ordinal);
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new AlertPayloadException($"{path}{name} must be an object of strings, not {Describe(value)}");
        }

        var map = new Dictionary<string, string>(value.GetPropertyCount(), StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            var label = NameOf(property, path, name);

            if (property.Value.ValueKind != JsonValueKind.String)
            {
                throw new AlertPayloadException($"{path}{name}.{Shorten(label)} must be a string, not {Describe(property.Value)}");
            }

            var text = Text(property.Value, path, name, label);
            if (text.Length > MaxStringLength || label.Length > 1024)
            {
                throw new AlertPayloadException($"{path}{name}.{Shorten(label)} is too long (limit {MaxStringLength} characters)");
            }

            map[label] = text;
        }

        return map;
    }

    /// <summary>
    /// The string value; JSON may carry invalid UTF-8 or lone surrogates, which are refused here. The field's
    /// path is only put together for the error, so reading thousands of labels allocates nothing extra.
    /// </summary>
    public static string Text(JsonElement value, string path, string name, string? key)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw new AlertPayloadException($"{path}{name}{(key is null ? string.Empty : "." + Shorten(key))} is not valid Unicode text");
        }
    }

    public static string NameOf(JsonProperty property, string path, string name)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException)
        {
            throw new AlertPayloadException($"{path}{name} has a key that is not valid Unicode text");
        }
    }

    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    public static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "…";

    public static JsonDocument ParseDocument(ReadOnlyMemory<byte> body)
    {
        try
        {
            return JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            throw new AlertPayloadException($"body is not valid JSON: {e.Message}");
        }
    }
}
