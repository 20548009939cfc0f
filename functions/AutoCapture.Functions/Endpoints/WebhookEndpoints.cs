using Microsoft.AspNetCore.Routing.Patterns;

namespace AutoCapture.Functions.Endpoints;

/// <summary>The app's HTTP functions, named as the Functions host knows them.</summary>
public enum WebhookFunction
{
    Alerts,
    CaptureComplete,
    CaptureProgress,
    CaptureList,
    CaptureGet,
    ArtifactGet,
    CaptureDiff,
    CaptureStart,
    SlackInteractivity,
    Viewer,
}

/// <summary>
/// Routes below <see cref="Prefix"/>, as constants because the worker's trigger attributes need them at compile time;
/// the standalone host maps the same strings.
/// </summary>
public static class WebhookRoutes
{
    public const string Prefix = "api";
    public const string Alerts = "alerts/{source}";
    public const string CaptureComplete = "captures/{id}/complete";
    public const string CaptureProgress = "captures/{id}/progress";
    public const string CaptureList = "captures";
    public const string CaptureGet = "captures/{id}";
    public const string ArtifactGet = "captures/{id}/artifacts/{name}";
    public const string CaptureDiff = "captures/{id}/diff";
    public const string CaptureStart = "captures";

    /// <summary>Under the API prefix like every function, so the Functions host (route prefix <c>api</c>) serves it too.</summary>
    public const string SlackInteractivity = "slack/interactivity";
    public const string Viewer = "viewer/{*path}";
}

/// <summary>One HTTP function: its route, method and the one handler both hosts run for it.</summary>
public sealed record WebhookEndpoint(WebhookFunction Function, string Method, string Route, Delegate Handler)
{
    public string Path => $"/{WebhookRoutes.Prefix}/{Route}";

    public IEnumerable<string> RouteParameters => RoutePatternFactory.Parse(Route).Parameters.Select(p => p.Name);
}

/// <summary>
/// Every endpoint's logic, once. The standalone host maps each handler as a minimal API; under the Functions host each
/// HTTP-triggered function runs the same handler on the request the host forwarded (<see cref="FunctionsHost.WorkerFunctions"/>).
/// The viewer is static files, served by middleware in both (<see cref="FlameGraphViewer"/>).
/// </summary>
public static class WebhookEndpoints
{
    public static IReadOnlyList<WebhookEndpoint> Api { get; } =
    [
        new(WebhookFunction.Alerts, HttpMethods.Post, WebhookRoutes.Alerts, AlertEndpoints.ReceiveAsync),
        new(WebhookFunction.CaptureComplete, HttpMethods.Post, WebhookRoutes.CaptureComplete, CaptureEndpoints.CompleteAsync),
        new(WebhookFunction.CaptureProgress, HttpMethods.Post, WebhookRoutes.CaptureProgress, CaptureEndpoints.ProgressAsync),
        new(WebhookFunction.CaptureList, HttpMethods.Get, WebhookRoutes.CaptureList, CaptureEndpoints.ListCapturesAsync),
        new(WebhookFunction.CaptureGet, HttpMethods.Get, WebhookRoutes.CaptureGet, CaptureEndpoints.GetCaptureAsync),
        new(WebhookFunction.ArtifactGet, HttpMethods.Get, WebhookRoutes.ArtifactGet, CaptureEndpoints.GetArtifactAsync),
        new(WebhookFunction.CaptureDiff, HttpMethods.Get, WebhookRoutes.CaptureDiff, CaptureEndpoints.GetDiffAsync),
        new(WebhookFunction.CaptureStart, HttpMethods.Post, WebhookRoutes.CaptureStart, OnDemandEndpoints.StartAsync),
        new(WebhookFunction.SlackInteractivity, HttpMethods.Post, WebhookRoutes.SlackInteractivity, SlackInteractivity.ReceiveAsync),
    ];

    public static void MapWebhookEndpoints(this IEndpointRouteBuilder app)
    {
        foreach (var endpoint in Api)
        {
            app.MapMethods(endpoint.Path, [endpoint.Method], endpoint.Handler);
        }
    }

    /// <summary>Headers every answer carries, whichever host serves it.</summary>
    public static void AddSecurityHeaders(HttpResponse response)
    {
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.ContentSecurityPolicy = "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";
        response.Headers["Referrer-Policy"] = "no-referrer";
    }
}
