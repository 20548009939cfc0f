using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Hosting;
using AutoCapture.Core.Json;

namespace AutoCapture.Functions.Chat;

/// <summary>
/// A generic webhook for other tools (PagerDuty, Opsgenie, a ticket system): the message as text and links, and the
/// capture manifest as JSON. With a secret, each POST carries <c>X-AutoCapture-Timestamp</c> (Unix seconds) and
/// <c>X-AutoCapture-Signature: sha256=</c>HMAC-SHA256 of "timestamp.body", so the receiver can tell it came from here
/// and refuse a replay (an old timestamp, or a signature it has seen).
/// </summary>
public sealed class WebhookNotifier(string name, string url, string? secret, HttpClient http, TimeProvider clock) : IChatNotifier
{
    public const string SignatureHeader = "X-AutoCapture-Signature";
    public const string TimestampHeader = "X-AutoCapture-Timestamp";

    public string Name => name;

    public async Task<ChatPost?> SendAsync(ChatMessage message, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(Payload(message).ToJsonString());
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } },
        };
        if (!string.IsNullOrEmpty(secret))
        {
            // Signed per attempt, so a retry carries its own time.
            request.OnEachAttempt(attempt =>
            {
                var timestamp = clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                attempt.Headers.Remove(TimestampHeader);
                attempt.Headers.Remove(SignatureHeader);
                attempt.Headers.Add(TimestampHeader, timestamp);
                attempt.Headers.Add(SignatureHeader, "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), (byte[])[.. Encoding.UTF8.GetBytes(timestamp + "."), .. body])));
            });
        }

        using var response = await http.SendAsync(request, cancellationToken);
        await ChatHttp.EnsureSuccessAsync(response, "the webhook", cancellationToken);
        return null;
    }

    public static JsonObject Payload(ChatMessage message)
    {
        var manifest = message.Manifest;
        return new JsonObject
        {
            ["event"] = manifest is null ? "capture" : $"capture.{manifest.Status.ToString().ToLowerInvariant()}",
            ["captureId"] = message.CaptureId,
            ["title"] = message.Title,
            ["headline"] = message.Headline,
            ["finding"] = message.Lead,
            ["text"] = string.Join('\n', new[] { message.Lead, message.Headline }.OfType<string>().Concat(message.Fields.Select(f => $"{f.Name}: {f.Value}")).Concat(message.Findings)),
            ["links"] = new JsonArray(message.Links.Select(l => (JsonNode)new JsonObject { ["text"] = l.Text, ["url"] = l.Url }).ToArray()),
            ["manifest"] = manifest is null ? null : JsonNode.Parse(AutoCaptureJson.Serialize(manifest)),
        };
    }
}
