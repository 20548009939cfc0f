using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AutoCapture.IntegrationTests.Support;

/// <summary>
/// Stands in for Slack's incoming webhooks on loopback, checking what Slack itself enforces: a JSON body with
/// text or blocks, at most 50 blocks, section text at most 3,000 characters, at most 10 fields of 2,000,
/// header text plain_text of at most 150, button URLs present. Answers like Slack: 200 "ok" or 400 with the reason.
/// It can be told to throttle first (429 with Retry-After), to fail (500) or to leave requests unanswered. It also
/// plays the Web API a bot token uses: <c>chat.postMessage</c> and <c>chat.update</c> with
/// <c>Authorization: Bearer xoxb-…</c>, a known channel, and thread_ts / ts naming a message it handed out; it
/// answers HTTP 200 with <c>{"ok":true,"channel","ts"}</c> or <c>{"ok":false,"error"}</c> as Slack does.
/// </summary>
public sealed class FakeSlack : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _throttleRemaining;

    private FakeSlack(WebApplication app) => _app = app;

    public ConcurrentQueue<JsonObject> Accepted { get; } = new();

    public ConcurrentQueue<string> Refused { get; } = new();

    public const string ChannelId = "C0AUTOCAPT";

    public string BotToken { get; } = "xoxb-" + TestEnvironment.Secret();

    public string ApiUrl => $"{_app.Urls.First()}/api";

    /// <summary>Web API calls Slack accepted, in order: the method and its JSON body.</summary>
    public ConcurrentQueue<(string Method, JsonObject Body)> ApiCalls { get; } = new();

    /// <summary>The channel's messages by ts, as they stand after updates.</summary>
    public ConcurrentDictionary<string, JsonObject> Messages { get; } = new();

    private long _nextTs = 1_732_200_000_000_100;

    private int _requests;

    public int Requests => _requests;

    public string WebhookUrl => $"{_app.Urls.First()}/services/T000/B000/XXXXSECRETXXXX";

    public void ThrottleNext(int count) => _throttleRemaining = count;

    private int _failRemaining;
    private int _hangRemaining;

    /// <summary>The next <paramref name="count"/> messages are answered 500, as Slack does when it has an outage.</summary>
    public void FailNext(int count) => _failRemaining = count;

    /// <summary>The next <paramref name="count"/> messages get no answer at all until the sender gives up.</summary>
    public void HangNext(int count) => _hangRemaining = count;

    /// <summary>Requests that got no answer (see <see cref="HangNext"/>).</summary>
    public int Hung => _hung;

    private int _hung;
    private readonly CancellationTokenSource _stopping = new();

    public static async Task<FakeSlack> StartAsync()
    {
        var app = LoopbackServer.Create();
        var slack = new FakeSlack(app);
        app.MapPost("/services/T000/B000/XXXXSECRETXXXX", async (HttpRequest request) =>
        {
            Interlocked.Increment(ref slack._requests);
            if (Interlocked.Decrement(ref slack._throttleRemaining) >= 0)
            {
                request.HttpContext.Response.Headers.RetryAfter = "1";
                return Results.Text("rate_limited", statusCode: 429);
            }

            if (Interlocked.Decrement(ref slack._failRemaining) >= 0)
            {
                return Results.Text("internal_error", statusCode: 500);
            }

            if (Interlocked.Decrement(ref slack._hangRemaining) >= 0)
            {
                Interlocked.Increment(ref slack._hung);
                using var unanswered = CancellationTokenSource.CreateLinkedTokenSource(request.HttpContext.RequestAborted, slack._stopping.Token);
                await Task.Delay(Timeout.Infinite, unanswered.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                return Results.Empty;
            }

            if (request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) != true)
            {
                slack.Refused.Enqueue("invalid_payload: content type");
                return Results.Text("invalid_payload", statusCode: 400);
            }

            var body = await JsonNode.ParseAsync(request.Body) as JsonObject;
            var problem = body is null ? "invalid_payload" : Check(body);
            if (problem is not null)
            {
                slack.Refused.Enqueue(problem);
                return Results.Text(problem, statusCode: 400);
            }

            slack.Accepted.Enqueue(body!);
            return Results.Text("ok");
        });
        app.MapPost("/api/{method}", async (string method, HttpRequest request) => await slack.WebApiAsync(method, request));
        await app.StartAsync();
        return slack;
    }

    private async Task<IResult> WebApiAsync(string method, HttpRequest request)
    {
        Interlocked.Increment(ref _requests);
        if (Interlocked.Decrement(ref _throttleRemaining) >= 0)
        {
            request.HttpContext.Response.Headers.RetryAfter = "1";
            return Results.Text("", statusCode: 429);
        }

        IResult Fail(string error)
        {
            Refused.Enqueue($"{method}: {error}");
            return Results.Json(new { ok = false, error });
        }

        var authorization = request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return Fail("not_authed");
        }

        if (authorization["Bearer ".Length..] != BotToken)
        {
            return Fail("invalid_auth");
        }

        if (request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) != true)
        {
            return Fail("invalid_form_data");
        }

        if (await JsonNode.ParseAsync(request.Body) is not JsonObject body)
        {
            return Fail("invalid_json");
        }

        if ((string?)body["channel"] != ChannelId)
        {
            return Fail("channel_not_found");
        }

        if (Check(body) is { } problem)
        {
            return Fail(problem);
        }

        switch (method)
        {
            case "chat.postMessage":
                if (body["thread_ts"] is { } thread && !Messages.ContainsKey((string)thread!))
                {
                    return Fail("thread_not_found");
                }

                var ts = FormattableString.Invariant($"{Interlocked.Increment(ref _nextTs) / 1_000_000}.{_nextTs % 1_000_000:D6}");
                Messages[ts] = body;
                ApiCalls.Enqueue((method, body));
                return Results.Json(new { ok = true, channel = ChannelId, ts, message = body });
            case "chat.update":
                if ((string?)body["ts"] is not { } updated || !Messages.ContainsKey(updated))
                {
                    return Fail("message_not_found");
                }

                Messages[updated] = body;
                ApiCalls.Enqueue((method, body));
                return Results.Json(new { ok = true, channel = ChannelId, ts = updated });
            default:
                return Fail("unknown_method");
        }
    }

    private static string? Check(JsonObject body)
    {
        var blocks = body["blocks"] as JsonArray;
        if (body["text"] is null && blocks is null)
        {
            return "no_text";
        }

        if (blocks is null)
        {
            return null;
        }

        if (blocks.Count > 50)
        {
            return "invalid_blocks: more than 50 blocks";
        }

        foreach (var block in blocks.OfType<JsonObject>())
        {
            var type = (string?)block["type"];
            switch (type)
            {
                case "header":
                    if ((string?)block["text"]?["type"] != "plain_text" || ((string?)block["text"]?["text"])?.Length is null or > 150)
                    {
                        return "invalid_blocks: header must be plain_text of at most 150 characters";
                    }

                    break;
                case "section":
                    if (block["text"] is null && block["fields"] is null)
                    {
                        return "invalid_blocks: section needs text or fields";
                    }

                    if (((string?)block["text"]?["text"])?.Length > 3000)
                    {
                        return "invalid_blocks: section text longer than 3000";
                    }

                    if (block["fields"] is JsonArray fields && (fields.Count > 10 || fields.Any(f => ((string?)f?["text"])?.Length is null or > 2000)))
                    {
                        return "invalid_blocks: more than 10 fields or a field longer than 2000";
                    }

                    break;
                case "actions":
                    // A button either opens its url or sends its action_id and value (at most 2,000) to the app's interactivity URL.
                    if (block["elements"] is not JsonArray { Count: > 0 and <= 25 } elements
                        || elements.Any(e => (string.IsNullOrEmpty((string?)e?["url"]) && (string.IsNullOrEmpty((string?)e?["action_id"]) || ((string?)e?["value"])?.Length is null or > 2000))
                            || ((string?)e?["text"]?["text"])?.Length is null or > 75))
                    {
                        return "invalid_blocks: actions need 1..25 buttons with text and a url or an action_id and value";
                    }

                    break;
                case "context":
                    if (block["elements"] is not JsonArray { Count: > 0 and <= 10 })
                    {
                        return "invalid_blocks: context needs 1..10 elements";
                    }

                    break;
                default:
                    return $"invalid_blocks: unknown block type {type}";
            }
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
    }
}
