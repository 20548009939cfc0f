using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AutoCapture.IntegrationTests.Support;

/// <summary>
/// A generic webhook consumer on loopback (what PagerDuty, Opsgenie or a ticket system would be): takes JSON POSTs,
/// keeps each body and its headers. It can be made to refuse (400, which is not retried) until told otherwise, to test re-sending.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebhookReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<(byte[] Body, JsonObject Json, IHeaderDictionary Headers)> Received { get; } = new();

    private int _attempts;

    public int Attempts => _attempts;

    public bool Failing { get; set; }

    public string Url => $"{_app.Urls.First()}/hooks/autocapture";

    public static async Task<WebhookReceiver> StartAsync()
    {
        var app = LoopbackServer.Create();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hooks/autocapture", async (HttpRequest request) =>
        {
            Interlocked.Increment(ref receiver._attempts);
            if (receiver.Failing)
            {
                return Results.Text("receiver refuses new tickets", statusCode: 400);
            }

            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            if (request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) != true || JsonNode.Parse(buffer.ToArray()) is not JsonObject json)
            {
                return Results.Text("expected a JSON object", statusCode: 400);
            }

            receiver.Received.Enqueue((buffer.ToArray(), json, new HeaderDictionary(request.Headers.ToDictionary(h => h.Key, h => h.Value))));
            return Results.Ok();
        });
        await app.StartAsync();
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
