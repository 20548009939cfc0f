using AutoCapture.Core.Storage;
using AutoCapture.Functions.Hosting;

namespace AutoCapture.Functions.Pipeline;

/// <summary>One step of handling a webhook, with one job (cf. Alertmanager's notify.Stage).</summary>
public interface IWebhookStage
{
    Task ExecuteAsync(WebhookContext context, CancellationToken cancellationToken);
}

/// <summary>
/// authenticate → throttle → parse → route → admit → peer baselines → dispatch, run in order. A stage stops the pipeline by
/// throwing <see cref="WebhookRejectedException"/>, or by answering the delivery (a repeat, <see cref="RepeatAnswers"/>);
/// decisions about single captures are recorded on them instead.
/// Every delivery is counted here by how it ended, so the endpoint's answer and the metric cannot disagree.
/// </summary>
public sealed class WebhookPipeline(
    ThrottleStage throttle,
    AuthenticateStage authenticate,
    ParseStage parse,
    RouteStage route,
    AdmitStage admit,
    PeerBaselineStage peerBaselines,
    DispatchStage dispatch,
    RepeatAnswers repeats)
{
    // Authentication first: unauthenticated requests must never spend an authenticated sender's budget.
    private readonly IWebhookStage[] _stages = [authenticate, throttle, parse, route, admit, peerBaselines, dispatch];

    public async Task RunAsync(WebhookContext context, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var stage in _stages.TakeWhile(_ => context.AnswerJson is null))
            {
                await stage.ExecuteAsync(context, cancellationToken);
            }

            repeats.Remember(context);
        }
        catch (WebhookRejectedException e)
        {
            WebhookMetrics.Delivered(context.Source, WebhookMetrics.OutcomeOf(e.StatusCode));
            throw;
        }
        catch (StoreException)
        {
            WebhookMetrics.Delivered(context.Source, DeliveryOutcome.StoreUnavailable);
            throw;
        }

        WebhookMetrics.Delivered(context.Source, DeliveryOutcome.Accepted);
    }
}
