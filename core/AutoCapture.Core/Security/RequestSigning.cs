using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AutoCapture.Core.Security;

/// <summary>
/// A shared HMAC key. The id travels with each request so keys can rotate with two accepted at once; a key being
/// retired can be given <paramref name="NotAfter"/>, the end of the rotation window.
/// </summary>
public sealed record SigningKey(string Id, string Secret, DateTimeOffset? NotAfter = null)
{
    public const int MinimumSecretLength = 16;

    /// <summary>The keys a side accepts: its current key, and the previous one during a rotation.</summary>
    public static IReadOnlyList<SigningKey> Accepted(string currentId, string currentSecret, string? previousId, string? previousSecret, DateTimeOffset? previousNotAfter) =>
        string.IsNullOrEmpty(previousSecret)
            ? [new SigningKey(currentId, currentSecret)]
            : [new SigningKey(currentId, currentSecret), new SigningKey(previousId ?? "previous", previousSecret, previousNotAfter)];

    public override string ToString() => $"SigningKey {{ Id = {Id}, Secret = {Secrets.Mask(Secret)} }}";
}

/// <summary>
/// HMAC-SHA256 request signatures between the webhook app and collectors. The signature covers the method,
/// the path, the intended receiver (its host:port, the audience), a timestamp, a nonce and the SHA-256 of the body,
/// so a captured request can be neither altered, replayed, replayed later, nor sent to another collector.
/// </summary>
public static class RequestSigning
{
    public const string KeyIdHeader = "X-AutoCapture-Key-Id";
    public const string TimestampHeader = "X-AutoCapture-Timestamp";
    public const string NonceHeader = "X-AutoCapture-Nonce";
    public const string SignatureHeader = "X-AutoCapture-Signature";
    public const string AudienceHeader = "X-AutoCapture-Audience";
    private const string Scheme = "v1=";

    /// <param name="audience">The receiver the request is meant for, as host:port (what the sender addressed).</param>
    public static IReadOnlyList<KeyValuePair<string, string>> Sign(SigningKey key, string method, string audience, string pathAndQuery, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        var timestamp = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var signature = Compute(key.Secret, method, audience, pathAndQuery, timestamp, nonce, body);
        return
        [
            new(KeyIdHeader, key.Id),
            new(AudienceHeader, audience),
            new(TimestampHeader, timestamp),
            new(NonceHeader, nonce),
            new(SignatureHeader, Scheme + signature),
        ];
    }

    /// <summary>Signs for the host:port the request is addressed to.</summary>
    public static void Sign(HttpRequestMessage request, SigningKey key, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        foreach (var (name, value) in Sign(key, request.Method.Method, AudienceOf(request.RequestUri!), request.RequestUri!.PathAndQuery, body, now))
        {
            // A retried request is signed again: the new signature replaces the old one.
            request.Headers.Remove(name);
            request.Headers.TryAddWithoutValidation(name, value);
        }
    }

    /// <summary>host:port with the port always written, so "http://c" and "http://c:80" name one receiver.</summary>
    public static string AudienceOf(Uri uri) => $"{uri.Host.ToLowerInvariant()}:{uri.Port.ToString(CultureInfo.InvariantCulture)}";

    internal static string Compute(string secret, string method, string audience, string pathAndQuery, string timestamp, string nonce, ReadOnlySpan<byte> body)
    {
        var canonical = $"{method.ToUpperInvariant()}\n{audience}\n{pathAndQuery}\n{timestamp}\n{nonce}\n{Convert.ToHexStringLower(SHA256.HashData(body))}";
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(canonical)));
    }
}

public enum SignatureVerdict
{
    Valid,
    Missing,
    Malformed,
    UnknownKey,
    Stale,
    Replayed,
    BadSignature,
    Misdirected,
}

public readonly record struct SignatureCheck(SignatureVerdict Verdict, string Message)
{
    public bool IsValid => Verdict == SignatureVerdict.Valid;
}

/// <summary>Checks signed requests: known key, fresh timestamp, unseen nonce, matching HMAC.</summary>
/// <param name="acceptsAudience">Whether this receiver is the one a request names; null accepts any (the sender's choice is still signed).</param>
/// <param name="notBefore">
/// When the nonces remembered start: requests signed earlier are refused, so one harvested before a restart cannot be
/// replayed after it (the memory of its nonce is gone, its timestamp is not).
/// </param>
public sealed class RequestVerifier(IReadOnlyList<SigningKey> keys, TimeProvider clock, TimeSpan maxAge, DateTimeOffset? notBefore = null, Func<string, bool>? acceptsAudience = null)
{
    private readonly NonceCache _nonces = new(clock, maxAge * 2);

    public SignatureCheck Verify(string method, string pathAndQuery, Func<string, string?> header, ReadOnlySpan<byte> body)
    {
        var keyId = header(RequestSigning.KeyIdHeader);
        var timestamp = header(RequestSigning.TimestampHeader);
        var nonce = header(RequestSigning.NonceHeader);
        var signature = header(RequestSigning.SignatureHeader);
        var audience = header(RequestSigning.AudienceHeader);
        if (keyId is null || audience is null || timestamp is null || nonce is null || signature is null)
        {
            return new(SignatureVerdict.Missing, "request is not signed (X-AutoCapture-Key-Id, -Audience, -Timestamp, -Nonce and -Signature headers are required)");
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || nonce.Length is < 16 or > 128 || !signature.StartsWith("v1=", StringComparison.Ordinal))
        {
            return new(SignatureVerdict.Malformed, "signature headers are malformed");
        }

        var key = keys.FirstOrDefault(k => k.Id == keyId);
        if (key is null)
        {
            return new(SignatureVerdict.UnknownKey, $"unknown signing key id '{Truncate(keyId)}'");
        }

        if (key.NotAfter is { } notAfter && clock.GetUtcNow() > notAfter)
        {
            return new(SignatureVerdict.UnknownKey, $"signing key '{Truncate(keyId)}' was retired at {notAfter:yyyy-MM-dd HH:mm}Z (its rotation window has ended)");
        }

        var age = clock.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(seconds, 0, 253402300799));
        if (age.Duration() > maxAge)
        {
            return new(SignatureVerdict.Stale, $"request timestamp is {Math.Round(age.TotalSeconds)} s off (allowed ±{maxAge.TotalSeconds} s)");
        }

        if (notBefore is { } started && seconds < started.ToUnixTimeSeconds())
        {
            return new(SignatureVerdict.Stale, $"request was signed before this process started at {started:yyyy-MM-dd HH:mm:ss}Z (a replay from before a restart)");
        }

        var expected = RequestSigning.Compute(key.Secret, method, audience, pathAndQuery, timestamp, nonce, body);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature[3..])))
        {
            return new(SignatureVerdict.BadSignature, "signature does not match");
        }

        if (acceptsAudience is not null && !acceptsAudience(audience))
        {
            return new(SignatureVerdict.Misdirected, $"request is meant for {Truncate(audience)}, not this collector");
        }

        // Record the nonce only after the signature holds, so forged requests cannot fill the cache.
        return _nonces.TryAdd(nonce)
            ? new(SignatureVerdict.Valid, "ok")
            : new(SignatureVerdict.Replayed, "request was already seen (replayed nonce)");
    }

    private static string Truncate(string value) => value.Length <= 32 ? value : value[..32] + "…";
}

/// <summary>Remembers nonces (or whole signatures) for as long as their timestamps are acceptable; older ones are refused as stale anyway.</summary>
public sealed class NonceCache(TimeProvider clock, TimeSpan retention)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private DateTimeOffset _nextPurge = DateTimeOffset.MinValue;

    public bool TryAdd(string nonce)
    {
        var now = clock.GetUtcNow();
        if (now >= _nextPurge)
        {
            _nextPurge = now + TimeSpan.FromSeconds(30);
            foreach (var (key, expiry) in _seen)
            {
                if (expiry < now)
                {
                    _seen.TryRemove(key, out _);
                }
            }
        }

        return _seen.TryAdd(nonce, now + retention);
    }
}
