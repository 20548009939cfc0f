using System.Text.Json;
using System.Text.Json.Serialization;
using AutoCapture.Core.Storage;
using AutoCapture.Functions.Admission;
using AutoCapture.Functions.Pipeline;

namespace AutoCapture.Functions.Endpoints;

public static class AlertEndpoints
{
    public const int MaxBodyBytes = 1024 * 1024;

    internal static async Task<IResult> ReceiveAsync(string source, HttpRequest request, WebhookPipeline pipeline, TimeProvider clock, IHostApplicationLifetime lifetime)
    {
        // Only reading the body stops when the sender goes away. Once the alerts are read, admission runs to the
        // end whatever the sender does: a delivery cut off mid-way must leave its decisions whole, not half-written.
        var aborted = request.HttpContext.RequestAborted;
        var context = new WebhookContext(
            source,
            name => request.Headers.TryGetValue(name, out var values) ? values.ToString() : null,
            name => request.Query.TryGetValue(name, out var values) ? values.ToString() : null,
            request.ContentType,
            _ => RequestBodies.ReadLimitedAsync(request, MaxBodyBytes, aborted),
            clock.GetUtcNow());
        try
        {
            await pipeline.RunAsync(context, lifetime.ApplicationStopping);
        }
        catch (WebhookRejectedException e)
        {
            if (e.RetryAfterSeconds is { } seconds)
            {
                request.HttpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return RequestBodies.Error(e.StatusCode, e.Message);
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // Stopped before its first write (from there on a decision is carried through): nothing was decided, and
            // the sender must deliver it again, to this instance's successor or another one.
            request.HttpContext.Response.Headers.RetryAfter = "5";
            return RequestBodies.Error(StatusCodes.Status503ServiceUnavailable, "the webhook app is stopping, so the alert was not accepted; send it again");
        }
        catch (StoreException e)
        {
            // Not a 202: what could not be recorded was not accepted, and the sender (Alertmanager retries 5xx)
            // must deliver it again. Captures recorded before the failure are kept and answered as duplicates then.
            return RequestBodies.Error(StatusCodes.Status503ServiceUnavailable, $"the store is unavailable, so the alert was not accepted; send it again: {e.Message}");
        }

        return Results.Json(WebhookAnswer.From(context), WebhookAnswerJson.Default.WebhookAnswer, statusCode: StatusCodes.Status202Accepted);
    }
}

/// <summary>The 202 body: for every alert, the captures started or why none was.</summary>
public sealed record WebhookAnswer(int Started, IReadOnlyList<WebhookAnswer.AlertAnswer> Alerts)
{
    public sealed record AlertAnswer(string Name, string Fingerprint, string Status, IReadOnlyList<CaptureAnswer> Captures, string? Note);

    public sealed record CaptureAnswer(string CaptureId, string Rule, string Target, string Result, IReadOnlyList<string> Kinds, string? Reason);

    public static WebhookAnswer From(WebhookContext context)
    {
        if (context.Answer is { } answered)
        {
            return answered;
        }

        var byAlert = context.Captures.ToLookup(c => c.Alert, ReferenceEqualityComparer.Instance);
        var alerts = context.Alerts.Select(alert => new AlertAnswer(
            alert.Name,
            alert.Fingerprint,
            alert.Status.ToString().ToLowerInvariant(),
            byAlert[alert].Select(c => new CaptureAnswer(
                c.CaptureId,
                c.Rule.Name,
                c.Target.ToString(),
                c.Decision.ToString().ToLowerInvariant(),
                c.Specs.Select(s => s.Kind).ToList(),
                c.Reason ?? (c.Notes.Count > 0 ? string.Join("; ", c.Notes) : null))).ToList(),
            context.AlertNotes.GetValueOrDefault(alert))).ToList();
        return new WebhookAnswer(context.Captures.Count(c => c.Decision == CaptureDecision.Started), alerts);
    }
}

/// <summary>Source-generated: the answer is written for every delivery, so it skips reflection.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(WebhookAnswer))]
internal sealed partial class WebhookAnswerJson : JsonSerializerContext;
