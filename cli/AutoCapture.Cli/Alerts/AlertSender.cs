using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AutoCapture.Cli.Captures;
using AutoCapture.Core.Security;
using AutoCapture.Functions.Endpoints;
using AutoCapture.Functions.Options;

namespace AutoCapture.Cli.Alerts;

/// <summary>A source's credential as its sender presents it (AutoCapture:Sources:&lt;source&gt;); never printed.</summary>
internal sealed record AlertCredentials(string? Token = null, string? Username = null, string? Password = null, string? HmacSecret = null, string? HmacHeader = null, string? HmacTimestampHeader = null)
{
    public void Apply(HttpRequestMessage request, byte[] body, TimeProvider clock)
    {
        if (!string.IsNullOrEmpty(Token))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        }
        else if (!string.IsNullOrEmpty(Username))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}")));
        }

        if (string.IsNullOrEmpty(HmacSecret))
        {
            return;
        }

        // As Grafana signs: lowercase hex HMAC-SHA256 of the body, or of "timestamp:body" when it sends a timestamp.
        var signed = body;
        if (!string.IsNullOrEmpty(HmacTimestampHeader))
        {
            var timestamp = clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            request.Headers.Add(HmacTimestampHeader, timestamp);
            signed = [.. Encoding.UTF8.GetBytes(timestamp + ":"), .. body];
        }

        request.Headers.Add(HmacHeader ?? new SourceAuthOptions().HmacHeader, Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(HmacSecret), signed)));
    }

    // The generated ToString would print the secrets.
    public override string ToString() =>
        $"AlertCredentials {{ Token = {Secrets.Mask(Token)}, Username = {Username ?? "(not set)"}, Password = {Secrets.Mask(Password)}, HmacSecret = {Secrets.Mask(HmacSecret)} }}";
}

/// <summary>Posts an alert payload to <c>POST /api/alerts/{source}</c> as its sender would, and reads the app's answer.</summary>
internal static class AlertSender
{
    // Whatever answers in the app's place may send any JSON; that is a wrong answer to report.
    private static readonly JsonSerializerOptions Strict = new(JsonSerializerDefaults.Web) { RespectNullableAnnotations = true };

    /// <summary>The source's webhook address under the app's base URL; a query string (an Azure Monitor <c>?token=…</c>) is kept.</summary>
    public static Uri? TargetUrl(string? app, AlertSourceKind source)
    {
        if (string.IsNullOrEmpty(app) || !Uri.TryCreate(app, UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https"))
        {
            return null;
        }

        var builder = new UriBuilder(baseUrl);
        builder.Path = $"{builder.Path.TrimEnd('/')}/api/alerts/{TestAlert.RouteOf(source)}";
        return builder.Uri;
    }

    /// <exception cref="CliException">The app could not be reached, refused the alert (its message included), or something else answered.</exception>
    public static async Task<WebhookAnswer> SendAsync(HttpClient client, Uri target, byte[] body, AlertCredentials credentials, TimeProvider clock, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, target) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        credentials.Apply(request, body, clock);
        // The address without its query: that may hold a secret.
        var where = target.GetLeftPart(UriPartial.Path);
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"cannot reach {where}: {e.Message}");
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                var hint = response.StatusCode == System.Net.HttpStatusCode.Unauthorized
                    ? " (give the source's credential: --token, --username and --password, or --hmac-secret)"
                    : string.Empty;
                throw new CliException($"{where} refused the alert: HTTP {(int)response.StatusCode}: {Plain(CaptureApiClient.ErrorMessage(text))}{hint}");
            }

            try
            {
                return JsonSerializer.Deserialize<WebhookAnswer>(text, Strict) ?? throw new JsonException("null");
            }
            catch (JsonException)
            {
                throw new CliException($"{where} answered HTTP {(int)response.StatusCode}, but not as the webhook app answers: {Plain(text)}");
            }
        }
    }

    /// <summary>What the app did with each alert, one plain line each (nothing wraps, so ids can be copied and grepped).</summary>
    public static IEnumerable<string> Describe(Uri target, WebhookAnswer answer)
    {
        yield return $"✓ accepted by {target.GetLeftPart(UriPartial.Path)}: {Words.Count(answer.Alerts.Count, "alert")}, {Words.Count(answer.Started, "capture")} started";
        foreach (var alert in answer.Alerts)
        {
            var name = $"{Plain(alert.Name)} ({Plain(alert.Status)})";
            if (alert.Captures.Count == 0)
            {
                yield return $"  {name}: no capture: {Plain(alert.Note ?? "no rule matched")}";
            }

            foreach (var capture in alert.Captures)
            {
                var reason = capture.Reason is { } r ? $": {Plain(r)}" : string.Empty;
                yield return $"  {name}: {Plain(capture.Result)} {Plain(capture.CaptureId)} (rule {Plain(capture.Rule)}, {Plain(string.Join(", ", capture.Kinds))} of {Plain(capture.Target)}){reason}";
            }
        }
    }

    /// <summary>Answers echo alert labels, which whoever wrote the payload chose: no terminal control sequences get through.</summary>
    private static string Plain(string text) => string.Concat(text.Select(c => char.IsControl(c) ? '?' : c));
}
