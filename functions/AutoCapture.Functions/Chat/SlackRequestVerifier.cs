using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AutoCapture.Core.Security;
using AutoCapture.Functions.Options;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Chat;

/// <summary>
/// Checks that a request came from Slack (api.slack.com/authentication/verifying-requests-from-slack):
/// <c>X-Slack-Signature: v0=hex(HMAC-SHA256(signing secret, "v0:" + X-Slack-Request-Timestamp + ":" + raw body))</c>,
/// compared in constant time, with the timestamp within <see cref="Window"/> of now so a captured request cannot be
/// sent again later. Within the window a signature is accepted once per instance; across instances the capture id,
/// derived from the signed action, makes a replay a duplicate.
/// </summary>
public sealed class SlackRequestVerifier(IOptions<AutoCaptureOptions> options, TimeProvider clock)
{
    public const string SignatureHeader = "X-Slack-Signature";
    public const string TimestampHeader = "X-Slack-Request-Timestamp";
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    private readonly NonceCache _seen = new(clock, Window * 2);

    public bool Enabled => !string.IsNullOrEmpty(options.Value.Chat.Slack.SigningSecret);

    /// <returns>Null when the request is Slack's; otherwise why not, for the 401 (never the expected signature).</returns>
    public string? Problem(string? timestamp, string? signature, ReadOnlySpan<byte> body)
    {
        if (string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signature))
        {
            return $"{TimestampHeader} and {SignatureHeader} are required";
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > 253402300799)
        {
            return $"{TimestampHeader} is not a Unix time in seconds";
        }

        var age = clock.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(seconds);
        if (age.Duration() > Window)
        {
            return $"{TimestampHeader} is {Math.Round(age.TotalSeconds)} s off (allowed ±{Window.TotalSeconds} s)";
        }

        var expected = Sign(options.Value.Chat.Slack.SigningSecret!, timestamp, body);
        if (!Secrets.FixedTimeEquals(expected, signature))
        {
            return "the Slack signature does not match";
        }

        // Remembered only once it holds, so forged requests cannot fill the memory.
        return _seen.TryAdd(expected) ? null : "this Slack request was already received (replayed)";
    }

    public static string Sign(string secret, string timestamp, ReadOnlySpan<byte> body)
    {
        byte[] signed = [.. Encoding.UTF8.GetBytes($"v0:{timestamp}:"), .. body];
        return "v0=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }
}
