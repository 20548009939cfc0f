using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Json;
using AutoCapture.Core.Summaries;

namespace AutoCapture.Cli.Captures;

/// <summary>The webhook app's capture API, as the CLI calls it (base URL and a read token, or a write token to start captures).</summary>
internal sealed class CaptureApiClient(HttpClient http, Uri baseUrl, string token)
{
    // A server (or whatever answers in its place) may send null where the contract has none; that is a wrong answer
    // to report, not a null to trip over later.
    private static readonly JsonSerializerOptions Strict = new(AutoCaptureJson.Options) { RespectNullableAnnotations = true };

    public async Task<CaptureListPage> ListAsync(IReadOnlyList<KeyValuePair<string, string>> query, CancellationToken cancellationToken)
    {
        var queryString = string.Join('&', query.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));
        using var response = await SendAsync($"api/captures{(queryString.Length > 0 ? "?" + queryString : string.Empty)}", HttpCompletionOption.ResponseContentRead, cancellationToken);
        return await ReadJsonAsync<CaptureListPage>(response, cancellationToken);
    }

    public async Task<CaptureManifest> GetAsync(string captureId, CancellationToken cancellationToken)
    {
        using var response = await SendAsync($"api/captures/{Uri.EscapeDataString(captureId)}?format=json", HttpCompletionOption.ResponseContentRead, cancellationToken);
        return await ReadJsonAsync<CaptureManifest>(response, cancellationToken);
    }

    /// <summary>Has the server compare a capture with a baseline capture named by hand; neither capture changes.</summary>
    public async Task<CaptureDiff> DiffAsync(string captureId, string baselineId, CancellationToken cancellationToken)
    {
        using var response = await SendAsync($"api/captures/{Uri.EscapeDataString(captureId)}/diff?baseline={Uri.EscapeDataString(baselineId)}", HttpCompletionOption.ResponseContentRead, cancellationToken);
        return await ReadJsonAsync<CaptureDiff>(response, cancellationToken);
    }

    /// <summary>
    /// Asks for a capture on demand (<c>POST /api/captures</c>). A refusal by the limits or dedup exits
    /// <see cref="RefusedExit"/>; a request the server calls malformed or unauthorized exits <see cref="UsageExit"/>.
    /// </summary>
    public async Task<CaptureStarted> StartAsync(object body, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, "api/captures", JsonContent.Create(body), HttpCompletionOption.ResponseContentRead, StartRefusalExit, cancellationToken);
        return await ReadJsonAsync<CaptureStarted>(response, cancellationToken);
    }

    public const int RefusedExit = 2;
    public const int UsageExit = 3;

    private static int StartRefusalExit(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Conflict or HttpStatusCode.TooManyRequests => RefusedExit,
        HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => UsageExit,
        _ => 1,
    };

    /// <summary>Opens an artifact's download; the caller disposes the response.</summary>
    public Task<HttpResponseMessage> OpenArtifactAsync(string captureId, string name, CancellationToken cancellationToken) =>
        SendAsync($"api/captures/{Uri.EscapeDataString(captureId)}/artifacts/{Uri.EscapeDataString(name)}", HttpCompletionOption.ResponseHeadersRead, cancellationToken);

    private Task<HttpResponseMessage> SendAsync(string relative, HttpCompletionOption completion, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, relative, null, completion, _ => 1, cancellationToken);

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string relative, HttpContent? content, HttpCompletionOption completion, Func<HttpStatusCode, int> exitCode, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(baseUrl, relative)) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, completion, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"cannot reach {baseUrl}: {e.Message}");
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var message = ErrorMessage(await response.Content.ReadAsStringAsync(cancellationToken));
            var tokens = method == HttpMethod.Get ? "AutoCapture:Api:ReadTokens" : "AutoCapture:Api:WriteTokens";
            throw new CliException(
                response.StatusCode switch
                {
                    HttpStatusCode.Unauthorized => $"the server refused the token: {message} (set --token or AUTOCAPTURE_TOKEN to one of {tokens})",
                    _ => $"the server answered {(int)response.StatusCode}: {message}",
                },
                exitCode(response.StatusCode));
        }
    }

    /// <summary>The message of the app's error answer (<c>{"error": "…"}</c>), or the body as it came.</summary>
    public static string ErrorMessage(string body)
    {
        try
        {
            using var error = JsonDocument.Parse(body);
            // A proxy's error page may be any JSON (an array, a number, an object without a string "error").
            if (error.RootElement.ValueKind == JsonValueKind.Object && error.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String)
            {
                return e.GetString()!;
            }
        }
        catch (JsonException)
        {
            // Not our JSON error: show what came back.
        }

        return body;
    }

    private static async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            return await JsonSerializer.DeserializeAsync<T>(stream, Strict, cancellationToken)
                ?? throw new JsonException($"Expected a {typeof(T).Name}, found null.");
        }
        catch (JsonException e)
        {
            throw new CliException($"the server's answer is not what the capture API sends: {e.Message}");
        }
    }
}

/// <summary>The answer to a capture asked for on demand: its id, where its status is read, and the decision.</summary>
internal sealed record CaptureStarted(string Id, string Status, string Decision);

/// <summary>A failure to tell the user in one line, with exit code <see cref="ExitCode"/>.</summary>
internal sealed class CliException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
