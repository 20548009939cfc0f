namespace AutoCapture.Core.Storage;

/// <summary>
/// The rules tags and metadata follow in every backend, so code that works on the folder store works on blob
/// storage: Azure's limits for blob index tags, and metadata names that are valid as <c>x-ms-meta-</c> headers.
/// </summary>
public static class StoreAnnotations
{
    public const int MaxTags = 10;
    public const int MaxTagKeyLength = 128;
    public const int MaxTagValueLength = 256;
    public const int MaxMetadataBytes = 8 * 1024;

    public static void EnsureValidTags(IReadOnlyDictionary<string, string> tags)
    {
        if (tags.Count > MaxTags)
        {
            throw new ArgumentException($"{tags.Count} tags given; an object has at most {MaxTags}.", nameof(tags));
        }

        foreach (var (key, value) in tags)
        {
            if (key.Length is 0 or > MaxTagKeyLength || !key.All(IsTagChar))
            {
                throw new ArgumentException($"tag name '{key}' is not valid (1–{MaxTagKeyLength} of letters, digits, space, + - . / : = _).", nameof(tags));
            }

            if (value.Length > MaxTagValueLength || !value.All(IsTagChar))
            {
                throw new ArgumentException($"the value of tag '{key}' is not valid (up to {MaxTagValueLength} of letters, digits, space, + - . / : = _).", nameof(tags));
            }
        }
    }

    public static void EnsureValidQuery(IReadOnlyDictionary<string, string> equals)
    {
        if (equals.Count == 0)
        {
            throw new ArgumentException("a tag query needs at least one tag to match.", nameof(equals));
        }

        EnsureValidTags(equals);
    }

    public static void EnsureValidMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        var total = 0;
        foreach (var (name, value) in metadata)
        {
            // Lower case only: HTTP header names are case-insensitive, so blob storage cannot promise to keep case.
            if (name.Length == 0 || !(char.IsAsciiLetterLower(name[0]) || name[0] == '_') || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'))
            {
                throw new ArgumentException($"metadata name '{name}' is not valid (lower-case letters, digits and '_', not starting with a digit).", nameof(metadata));
            }

            if (!value.All(c => c is >= ' ' and <= '~'))
            {
                throw new ArgumentException($"the value of metadata '{name}' must be printable ASCII.", nameof(metadata));
            }

            total += name.Length + value.Length;
        }

        if (total > MaxMetadataBytes)
        {
            throw new ArgumentException($"metadata is {total} bytes; at most {MaxMetadataBytes}.", nameof(metadata));
        }
    }

    private static bool IsTagChar(char c) => char.IsAsciiLetterOrDigit(c) || c is ' ' or '+' or '-' or '.' or '/' or ':' or '=' or '_';
}
