using System.Text.Json;
using AutoCapture.Functions.Endpoints;
using AutoCapture.Functions.Hosting;
using AutoCapture.Functions.Maintenance;
using AutoCapture.Functions.Pipeline;

namespace AutoCapture.Functions.FunctionsHost;

/// <summary>
/// What the Azure Functions host needs of a custom handler beyond forwarded HTTP requests: non-HTTP triggers
/// arrive as a JSON envelope (<c>Data</c>, <c>Metadata</c>) POSTed to <c>/{FunctionName}</c>, and the reply is
/// <c>Outputs</c>, <c>Logs</c> and <c>ReturnValue</c>. Mapped only when the app runs under the host, where the
/// handler listens on loopback and only the host can call it.
/// </summary>
public static class CustomHandlerEndpoints
{
    public const string HousekeepingFunction = "Housekeeping";
    private const int MaxEnvelopeBytes = 64 * 1024;

    public static void MapCustomHandlerEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost($"/{HousekeepingFunction}", async (HttpRequest request, Housekeeping housekeeping, TimeProvider clock, CancellationToken cancellationToken) =>
        {
            try
            {
                var body = await RequestBodies.ReadLimitedAsync(request, MaxEnvelopeBytes, cancellationToken);
                using var envelope = JsonDocument.Parse(body);
                if (envelope.RootElement.ValueKind != JsonValueKind.Object || !envelope.RootElement.TryGetProperty("Data", out _))
                {
                    return RequestBodies.Error(400, "not a Functions invocation: a JSON object with Data and Metadata is expected");
                }
            }
            catch (WebhookRejectedException e)
            {
                return RequestBodies.Error(e.StatusCode, e.Message);
            }
            catch (JsonException e)
            {
                return RequestBodies.Error(400, $"invocation body is not JSON: {e.Message}");
            }

            var report = await housekeeping.RunAsync(cancellationToken);
            // A failed pass answers the host with an error; the stale last-success time is what alerts on it.
            WebhookMetrics.HousekeepingRan(finished: true, clock.GetUtcNow());
            return Results.Json(new InvocationResult(new Dictionary<string, object?>(), [$"housekeeping: {report}"], null));
        });
    }

    /// <summary>The custom handler reply; property names are the host's (PascalCase).</summary>
    public sealed record InvocationResult(
        [property: System.Text.Json.Serialization.JsonPropertyName("Outputs")] IReadOnlyDictionary<string, object?> Outputs,
        [property: System.Text.Json.Serialization.JsonPropertyName("Logs")] IReadOnlyList<string> Logs,
        [property: System.Text.Json.Serialization.JsonPropertyName("ReturnValue")] object? ReturnValue);
}
