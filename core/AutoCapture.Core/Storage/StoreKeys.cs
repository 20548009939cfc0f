namespace AutoCapture.Core.Storage;

/// <summary>Store keys are '/'-separated relative paths of plain segments; anything else is refused.</summary>
public static class StoreKeys
{
    public const int MaxLength = 512;

    public static bool IsValid(string? key)
    {
        if (string.IsNullOrEmpty(key) || key.Length > MaxLength || key[0] == '/' || key[^1] == '/')
        {
            return false;
        }

        foreach (var segment in key.Split('/'))
        {
            if (segment.Length == 0 || segment == "." || segment == ".." || segment[0] == '.')
            {
                return false;
            }

            foreach (var c in segment)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '=' or '+'))
                {
                    return false;
                }
            }
        }

        return true;
    }

    public static void EnsureValid(string key)
    {
        if (!IsValid(key))
        {
            throw new ArgumentException($"'{key}' is not a valid store key (plain path segments of letters, digits, '-', '_', '.', '=', '+').", nameof(key));
        }
    }

    /// <summary>Prefixes may end with '/' or be empty (everything).</summary>
    public static void EnsureValidPrefix(string prefix)
    {
        if (prefix.Length == 0)
        {
            return;
        }

        var trimmed = prefix.TrimEnd('/');
        if (trimmed.Length == 0 || !IsValid(trimmed))
        {
            throw new ArgumentException($"'{prefix}' is not a valid store prefix.", nameof(prefix));
        }
    }
}
