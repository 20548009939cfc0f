using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AutoCapture.Core.Security;

public enum LinkVerdict
{
    Valid,
    Missing,
    Forged,
    Expired,
}

/// <summary>
/// Expiring read links for captures: a token binds one capture id and one artifact name (or the capture page)
/// to an expiry, so a link shared in chat opens exactly that and only until it expires.
/// </summary>
public sealed class LinkSigner(string secret, TimeProvider clock)
{
    /// <summary>The artifact name used for the capture page and manifest rather than an artifact.</summary>
    public const string CapturePage = "";

    public string CreateToken(string captureId, string artifactName, TimeSpan lifetime)
    {
        var expires = clock.GetUtcNow().Add(lifetime).ToUnixTimeSeconds();
        return $"{expires.ToString(CultureInfo.InvariantCulture)}.{Compute(captureId, artifactName, expires)}";
    }

    /// <summary>When a token says it expires (true only once <see cref="Verify"/> holds); null for anything not shaped as a token.</summary>
    public static DateTimeOffset? ExpiresAt(string? token) =>
        token?.IndexOf('.', StringComparison.Ordinal) is > 0 and var dot && long.TryParse(token.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var expires)
            && expires <= DateTimeOffset.MaxValue.ToUnixTimeSeconds()
            ? DateTimeOffset.FromUnixTimeSeconds(expires)
            : null;

    public LinkVerdict Verify(string captureId, string artifactName, string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return LinkVerdict.Missing;
        }

        if (token.Length > 200 || ExpiresAt(token) is not { } expiresAt)
        {
            return LinkVerdict.Forged;
        }

        var expires = expiresAt.ToUnixTimeSeconds();
        var expected = Compute(captureId, artifactName, expires);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(token[(token.IndexOf('.', StringComparison.Ordinal) + 1)..])))
        {
            return LinkVerdict.Forged;
        }

        return clock.GetUtcNow().ToUnixTimeSeconds() > expires ? LinkVerdict.Expired : LinkVerdict.Valid;
    }

    private string Compute(string captureId, string artifactName, long expires)
    {
        var mac = HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(secret),
            Encoding.UTF8.GetBytes($"link\n{captureId}\n{artifactName}\n{expires.ToString(CultureInfo.InvariantCulture)}"));
        return Base64Url.EncodeToString(mac);
    }
}
