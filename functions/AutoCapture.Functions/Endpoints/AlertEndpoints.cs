using System.Text.Json;
using System.Text.Json.Serialization;
using AutoCapture.Core.Alerts;
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
            // Stopped before its first write (from there on a decision is carried through): nothing was decided.
            return RequestBodies.Stopping(request.HttpContext.Response, "the alert was not accepted; send it again");
        }
        catch (StoreException e)
        {
            // Not a 202: what could not be recorded was not accepted, and the sender (Alertmanager retries 5xx)
            // must deliver it again. Captures recorded before the failure are kept and answered as duplicates then.
            return RequestBodies.Error(StatusCodes.Status503ServiceUnavailable, $"the store is unavailable, so the alert was not accepted; send it again: {e.Message}");
        }

        return context.AnswerJson is { } json
            ? new AcceptedJson(json)
            : Results.Json(WebhookAnswer.From(context), WebhookAnswerJson.Default.WebhookAnswer, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>A 202 whose JSON body was serialized before (a remembered answer).</summary>
    private sealed class AcceptedJson(byte[] json) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status202Accepted;
            httpContext.Response.ContentType = "application/json; charset=utf-8";
            httpContext.Response.ContentLength = json.Length;
            return httpContext.Response.Body.WriteAsync(json).AsTask();
        }
    }
}

/// <summary>The 202 body: for every alert, the captures started or why none was.</summary>
public sealed record WebhookAnswer(int Started, IReadOnlyList<WebhookAnswer.AlertAnswer> Alerts)
{
    public sealed record AlertAnswer(string Name, string Fingerprint, string Status, IReadOnlyList<CaptureAnswer> Captures, string? Note);

    public sealed record CaptureAnswer(string CaptureId, string Rule, string Target, string Result, IReadOnlyList<string> Kinds, string? Reason);

    public static WebhookAnswer From(WebhookContext context)
    {
        if (context.AnswerJson is { } remembered)
        {
            return JsonSerializer.Deserialize(remembered, WebhookAnswerJson.Default.WebhookAnswer)!;
        }

        var byAlert = new Dictionary<Alert, List<CaptureAnswer>>(ReferenceEqualityComparer.Instance);
        foreach (var c in context.Captures)
        {
            if (!byAlert.TryGetValue(c.Alert, out var answers))
            {
                byAlert[c.Alert] = answers = new List<CaptureAnswer>(1);
            }

            answers.Add(new CaptureAnswer(
                c.CaptureId,
                c.Rule.Name,
                c.Target.ToString(),
                Lowercase(c.Decision),
                c.Specs.ConvertAll(s => s.Kind),
                c.Reason ?? (c.Notes.Count > 0 ? string.Join("; ", c.Notes) : null)));
        }

        var alerts = context.Alerts.ConvertAll(alert => new AlertAnswer(
            alert.Name,
            alert.Fingerprint,
            alert.Status == AlertStatus.Firing ? "firing" : "resolved",
            byAlert.GetValueOrDefault(alert) ?? [],
            context.AlertNotes.GetValueOrDefault(alert)));
        return new WebhookAnswer(context.Captures.Count(c => c.Decision == CaptureDecision.Started), alerts);
    }

    // Written for every capture of every delivery: constants, not a lowered copy of the enum's name each time.
    private static string Lowercase(CaptureDecision decision) => decision switch
    {
        CaptureDecision.Proceeding => "proceeding",
        CaptureDecision.Started => "started",
        CaptureDecision.Duplicate => "duplicate",
        _ => "skipped",
    };
}

/// <summary>Source-generated: the answer is written for every delivery, so it skips reflection.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(WebhookAnswer))]
internal sealed partial class WebhookAnswerJson : JsonSerializerContext;
