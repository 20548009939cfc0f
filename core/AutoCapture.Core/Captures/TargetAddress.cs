namespace AutoCapture.Core.Captures;

/// <summary>
/// The address of a Go target's net/http/pprof server. Only the scheme, host and port count: a path or query a rule
/// or request carries is dropped, so nothing in a request can steer which URLs the collector fetches.
/// </summary>
public static class TargetAddress
{
    public const int MaxLength = 512;

    /// <summary>Normalises to <c>scheme://host:port</c> (explicit port); the error says what is wrong.</summary>
    public static bool TryNormalize(string? text, out Uri address, out string error)
    {
        address = null!;
        if (string.IsNullOrWhiteSpace(text) || text.Length > MaxLength)
        {
            error = $"address must be an absolute http(s) URL of at most {MaxLength} characters";
            return false;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
        {
            error = $"address '{text}' is not an absolute http(s) URL such as http://10.1.2.3:6060";
            return false;
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            // Never echo the credentials back: the message goes to logs and chat.
            error = "address must not carry credentials (user:password@)";
            return false;
        }

        address = new Uri($"{uri.Scheme}://{uri.Host}:{uri.Port}/", UriKind.Absolute);
        error = string.Empty;
        return true;
    }

    /// <summary><c>scheme://host:port</c> with the port always written, the form allowlists and logs use.</summary>
    public static string Format(Uri address) => $"{address.Scheme}://{address.Host}:{address.Port}";
}
