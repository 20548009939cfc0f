using AutoCapture.Functions.Endpoints;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Features;

namespace AutoCapture.Functions.FunctionsHost;

/// <summary>
/// The standalone host's handlers (<see cref="WebhookEndpoints"/>) compiled once into request delegates, with the same
/// parameter binding the minimal API gives them, for the worker's HTTP functions to run on the forwarded request.
/// </summary>
public sealed class FunctionEndpoints
{
    private readonly Dictionary<WebhookFunction, RequestDelegate> _handlers;

    public FunctionEndpoints(IServiceProvider services)
    {
        _handlers = WebhookEndpoints.Api.ToDictionary(
            e => e.Function,
            e => RequestDelegateFactory.Create(e.Handler, new RequestDelegateFactoryOptions { ServiceProvider = services, RouteParameterNames = e.RouteParameters.ToList() }).RequestDelegate);

        var viewer = new ApplicationBuilder(services).UseFlameGraphViewer();
        viewer.Run(context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        var serveViewer = viewer.Build();
        _handlers[WebhookFunction.Viewer] = context =>
        {
            // Static files stand aside for a request that routing gave an endpoint, as the worker's routing did here.
            context.SetEndpoint(null);
            return serveViewer(context);
        };
    }

    public IResult Run(WebhookFunction function) => new Invocation(_handlers[function]);

    private sealed class Invocation(RequestDelegate handler) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            WebhookEndpoints.AddSecurityHeaders(httpContext.Response);
            return handler(httpContext);
        }
    }
}
