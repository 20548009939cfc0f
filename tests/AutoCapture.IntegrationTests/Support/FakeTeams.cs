using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AutoCapture.IntegrationTests.Support;

/// <summary>
/// Stands in for a Teams Workflows webhook ("When a Teams webhook request is received") on loopback, checking what
/// the flow and Teams require: a JSON message whose attachments hold an Adaptive Card
/// (<c>contentType: application/vnd.microsoft.card.adaptive</c>, <c>content.type: AdaptiveCard</c>, a version, a
/// body), OpenUrl actions with URLs, and a payload under 28 KB. Answers 202 as the flow does, 400/413 otherwise.
/// </summary>
public sealed class FakeTeams : IAsyncDisposable
{
    public const int MaxBytes = 28 * 1024;
    private readonly WebApplication _app;

    private FakeTeams(WebApplication app) => _app = app;

    public ConcurrentQueue<(JsonObject Body, int Bytes)> Accepted { get; } = new();

    public ConcurrentQueue<string> Refused { get; } = new();

    public string WebhookUrl => $"{_app.Urls.First()}/workflows/8f2c/triggers/manual/paths/invoke?sig=SECRETSIG";

    public static async Task<FakeTeams> StartAsync()
    {
        var app = LoopbackServer.Create();
        var teams = new FakeTeams(app);
        app.MapPost("/workflows/8f2c/triggers/manual/paths/invoke", async (HttpRequest request) =>
        {
            if (request.Query["sig"] != "SECRETSIG")
            {
                return Results.Text("Unauthorized", statusCode: 401);
            }

            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            if (buffer.Length >= MaxBytes)
            {
                teams.Refused.Enqueue($"payload of {buffer.Length} bytes");
                return Results.Text("RequestEntityTooLarge", statusCode: 413);
            }

            var body = request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) == true
                ? JsonNode.Parse(buffer.ToArray()) as JsonObject
                : null;
            var problem = body is null ? "not a JSON object" : Check(body);
            if (problem is not null)
            {
                teams.Refused.Enqueue(problem);
                return Results.Text(problem, statusCode: 400);
            }

            teams.Accepted.Enqueue((body!, (int)buffer.Length));
            return Results.StatusCode(202);
        });
        await app.StartAsync();
        return teams;
    }

    private static string? Check(JsonObject body)
    {
        if ((string?)body["type"] != "message" || body["attachments"] is not JsonArray { Count: > 0 } attachments)
        {
            return "expected type message with attachments";
        }

        foreach (var attachment in attachments)
        {
            if ((string?)attachment?["contentType"] != "application/vnd.microsoft.card.adaptive")
            {
                return "attachment contentType must be application/vnd.microsoft.card.adaptive";
            }

            var card = attachment["content"] as JsonObject;
            if ((string?)card?["type"] != "AdaptiveCard" || string.IsNullOrEmpty((string?)card["version"]) || card["body"] is not JsonArray)
            {
                return "content must be an AdaptiveCard with version and body";
            }

            if (card["actions"] is JsonArray actions && actions.Any(a => (string?)a?["type"] != "Action.OpenUrl" || string.IsNullOrEmpty((string?)a["url"]) || string.IsNullOrEmpty((string?)a["title"])))
            {
                return "actions must be Action.OpenUrl with title and url";
            }
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
