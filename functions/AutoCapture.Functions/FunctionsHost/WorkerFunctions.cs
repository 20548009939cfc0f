using AutoCapture.Functions.Endpoints;
using AutoCapture.Functions.Maintenance;
using Microsoft.Azure.Functions.Worker;

namespace AutoCapture.Functions.FunctionsHost;

/// <summary>
/// The functions the isolated worker reports to the Functions host (README.md next to this file). An HTTP function
/// only hands the request the host forwarded to the handler the standalone host maps on the same route; the
/// authorization level is the host's own check, made before it forwards anything.
/// </summary>
public sealed class WorkerFunctions(FunctionEndpoints endpoints, Housekeeping housekeeping)
{
    public const string HousekeepingFunction = "Housekeeping";
    public const string HousekeepingSchedule = "0 */5 * * * *";

    [Function(nameof(WebhookFunction.Alerts))]
    public IResult Alerts([HttpTrigger(AuthorizationLevel.Function, "post", Route = WebhookRoutes.Alerts)] HttpRequest request) =>
        endpoints.Run(WebhookFunction.Alerts);

    [Function(nameof(WebhookFunction.CaptureComplete))]
    public IResult CaptureComplete([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = WebhookRoutes.CaptureComplete)] HttpRequest request) =>
        endpoints.Run(WebhookFunction.CaptureComplete);

    [Function(nameof(WebhookFunction.CaptureProgress))]
    public IResult CaptureProgress([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = WebhookRoutes.CaptureProgress)] HttpRequest request) =>
        endpoints.Run(WebhookFunction.CaptureProgress);

    [Function(nameof(WebhookFunction.CaptureList))]
    public IResult CaptureList([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = WebhookRoutes.CaptureList)] HttpRequest request) =>
        endpoints.Run(WebhookFunction.CaptureList);

    [Function(nameof(WebhookFunction.CaptureGet))]
    public IResult CaptureGet([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = WebhookRoutes.CaptureGet)] HttpRequest request) =>
        endpoints.Run(WebhookFunction.CaptureGet);

    [Function(nameof(WebhookFunction.ArtifactGet))]
    public IResult ArtifactGet([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = WebhookRoutes.ArtifactGet)] HttpRequest request) =>
        endpoints.Run(WebhookFunction.ArtifactGet);

    [Function(nameof(WebhookFunction.CaptureDiff))]
    public IResult CaptureDiff([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = WebhookRoutes.CaptureDiff)] HttpRequest request) =>
        endpoints.Run(WebhookFunction.CaptureDiff);

    [Function(nameof(WebhookFunction.CaptureStart))]
    public IResult CaptureStart([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = WebhookRoutes.CaptureStart)] HttpRequest request) =>
        endpoints.Run(WebhookFunction.CaptureStart);

    [Function(nameof(WebhookFunction.SlackInteractivity))]
    public IResult SlackInteractivity([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = WebhookRoutes.SlackInteractivity)] HttpRequest request) =>
        endpoints.Run(WebhookFunction.SlackInteractivity);

    [Function(nameof(WebhookFunction.Viewer))]
    public IResult Viewer([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = WebhookRoutes.Viewer)] HttpRequest request) =>
        endpoints.Run(WebhookFunction.Viewer);

    /// <summary>A failed pass fails the invocation, so the host logs it; the stale last-success metric is what alerts on it.</summary>
    [Function(HousekeepingFunction)]
    public Task Housekeeping([TimerTrigger(HousekeepingSchedule)] TimerInfo timer, CancellationToken cancellationToken) =>
        housekeeping.RunScheduledAsync(cancellationToken);
}
