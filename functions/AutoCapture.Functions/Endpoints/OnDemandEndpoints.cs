using AutoCapture.Core.Storage;
using AutoCapture.Functions.Admission;
using AutoCapture.Functions.Links;
using AutoCapture.Functions.Pipeline;
using AutoCapture.Functions.Sources;

namespace AutoCapture.Functions.Endpoints;

public static class OnDemandEndpoints
{
    /// <summary>
    /// <c>POST /api/captures</c> with a write token: 202 with the capture's id and status link once admitted, 409 when
    /// the same request was decided before, 429 naming the limit that refused it, 400 naming the malformed field.
    /// </summary>
    internal static async Task<IResult> StartAsync(HttpRequest request, ApiAuthorization api, OnDemandCaptures captures, PublicUrls urls, IHostApplicationLifetime lifetime, TimeProvider clock)
    {
        if (api.Check(request, ApiAuthorization.Access.Write) is var verdict && verdict != ApiAuthorization.Verdict.Valid)
        {
            return ApiAuthorization.Refusal(verdict, request.HttpContext.Response, ApiAuthorization.Access.Write);
        }

        OnDemandRequest body;
        try
        {
            body = OnDemandRequest.Parse(await RequestBodies.ReadLimitedAsync(request, OnDemandRequest.MaxBodyBytes, request.HttpContext.RequestAborted));
        }
        catch (WebhookRejectedException e)
        {
            return RequestBodies.Error(e.StatusCode, e.Message);
        }
        catch (AlertPayloadException e)
        {
            return RequestBodies.Error(400, e.Message);
        }

        if (!captures.IsPermitted(body.Target, out var refusal))
        {
            return RequestBodies.Error(403, refusal);
        }

        PlannedCapture capture;
        try
        {
            // As for alerts: once admission starts it runs to the end whatever the caller does.
            capture = await captures.StartAsync(body.Target, body.Specs, "On-demand capture", "api", body.Reason, chat: null, clock.GetUtcNow().UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture), lifetime.ApplicationStopping);
        }
        catch (StoreException e)
        {
            return RequestBodies.Error(StatusCodes.Status503ServiceUnavailable, $"the store is unavailable, so the capture was not started; ask again: {e.Message}");
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return RequestBodies.Stopping(request.HttpContext.Response, "the capture was not started; ask again");
        }

        var status = $"{urls.BaseUrl}/api/captures/{capture.CaptureId}";
        var decision = capture.Decision.ToString().ToLowerInvariant();
        return capture.Decision switch
        {
            CaptureDecision.Started => Results.Json(new { id = capture.CaptureId, status, decision, kinds = capture.Specs.Select(s => s.Kind) }, statusCode: StatusCodes.Status202Accepted),
            CaptureDecision.Duplicate => Results.Json(new { id = capture.CaptureId, status, decision, error = capture.Reason }, statusCode: StatusCodes.Status409Conflict),
            _ when capture.SkippedBy == SkipCause.Undecided => Results.Json(new { id = capture.CaptureId, decision, error = capture.Reason }, statusCode: StatusCodes.Status503ServiceUnavailable),
            _ => Results.Json(new { id = capture.CaptureId, decision, limit = capture.SkippedBy?.ToString().ToLowerInvariant(), error = capture.Reason }, statusCode: StatusCodes.Status429TooManyRequests),
        };
    }
}
