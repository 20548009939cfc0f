namespace AutoCapture.Functions.Pipeline;

/// <summary>One step of handling a webhook, with one job (cf. Alertmanager's notify.Stage).</summary>
public interface IWebhookStage
{
    Task ExecuteAsync(WebhookContext context, CancellationToken cancellationToken);
}

/// <summary>
/// throttle → authenticate → parse → route → admit → peer baselines → dispatch, run in order. A stage stops the pipeline by
/// throwing <see cref="WebhookRejectedException"/>; decisions about single captures are recorded on them instead.
/// </summary>
public sealed class WebhookPipeline(
    ThrottleStage throttle,
    AuthenticateStage authenticate,
    ParseStage parse,
    RouteStage route,
    AdmitStage admit,
    PeerBaselineStage peerBaselines,
    DispatchStage dispatch)
{
    private readonly IWebhookStage[] _stages = [throttle, authenticate, parse, route, admit, peerBaselines, dispatch];

    public async Task RunAsync(WebhookContext context, CancellationToken cancellationToken)
    {
        foreach (var stage in _stages)
        {
            await stage.ExecuteAsync(context, cancellationToken);
        }
    }
}
