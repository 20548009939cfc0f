using AutoCapture.Core.Captures;
using AutoCapture.Core.Hosting;
using AutoCapture.Core.Security;
using AutoCapture.Core.Storage;
using AutoCapture.Functions.Admission;
using AutoCapture.Functions.Baselines;
using AutoCapture.Functions.Chat;
using AutoCapture.Functions.Dispatch;
using AutoCapture.Functions.Links;
using AutoCapture.Functions.Endpoints;
using AutoCapture.Functions.FunctionsHost;
using AutoCapture.Functions.Limits;
using AutoCapture.Functions.Maintenance;
using AutoCapture.Functions.Options;
using AutoCapture.Functions.Pipeline;
using AutoCapture.Functions.Rules;
using AutoCapture.Functions.Sources;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Hosting;

/// <summary>
/// Builds the webhook app, one of two ways: standalone (<see cref="Create"/>: the binary run by hand, on Kubernetes or
/// a VM, and the CLI demo) or as the Azure Functions isolated worker (<see cref="CreateWorker"/>). Both register the
/// same services and run the same endpoint handlers (<see cref="WebhookEndpoints"/>); README.md in FunctionsHost/ says how.
/// </summary>
public static class WebhookApp
{
    private const string FunctionsHostEndpointSwitch = "--functions-uri";

    /// <summary>The Functions host starts its worker with the address of its gRPC endpoint; nothing else passes it.</summary>
    public static bool StartedByFunctionsHost(string[] args) =>
        args.Any(a => a == FunctionsHostEndpointSwitch || a.StartsWith(FunctionsHostEndpointSwitch + "=", StringComparison.Ordinal));

    /// <exception cref="RulesFileException">The rules file or blob is missing or invalid.</exception>
    /// <param name="configure">Runs first: add configuration sources here.</param>
    /// <param name="overrideServices">Runs last, before the app is built: replace services here (benchmarks, tests).</param>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null, Action<IServiceCollection>? overrideServices = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        builder.Logging.AddAutoCaptureLogging(builder.Configuration, "functions");
        AddWebhookServices(builder);
        // Under the Functions host the timer function runs housekeeping instead.
        builder.Services.AddHostedService<HousekeepingService>();
        overrideServices?.Invoke(builder.Services);

        var app = builder.Build();
        app.UseAutoCaptureRequestLogging();
        app.Use((context, next) =>
        {
            WebhookEndpoints.AddSecurityHeaders(context.Response);
            return next(context);
        });
        app.UseFlameGraphViewer();
        app.MapGet("/", () => Results.Text("AutoCapture webhook app"));
        app.MapGet("/healthz", () => Results.Json(new { status = "ok" }));
        app.MapAutoCaptureMetrics();
        app.MapWebhookEndpoints();
        app.Lifetime.ApplicationStarted.Register(() => LogEffectiveConfiguration(app.Services, string.Join(", ", app.Urls)));
        return app;
    }

    /// <summary>
    /// The isolated worker: it connects to the Functions host's gRPC endpoint (from the command line the host starts it
    /// with), reports the functions of <see cref="WorkerFunctions"/>, and serves the HTTP requests the host forwards.
    /// </summary>
    /// <exception cref="RulesFileException">The rules file is missing or invalid.</exception>
    public static IHost CreateWorker(string[] args)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        builder.ConfigureFunctionsWebApplication();
        // The worker's own logger provider sends invocation logs to the host (and on to Application Insights);
        // AutoCapture's logging replaces every provider, so that one is put back.
        var toHost = builder.Services.Where(d => d.ServiceType == typeof(ILoggerProvider)).ToList();
        builder.Logging.AddAutoCaptureLogging(builder.Configuration, "functions", besideOtherProviders: true);
        foreach (var provider in toHost)
        {
            builder.Services.Add(provider);
        }

        AddWebhookServices(builder);
        builder.Services.AddSingleton<FunctionEndpoints>();
        var host = builder.Build();
        var hostEndpoint = builder.Configuration["Functions:Worker:HostEndpoint"];
        host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted.Register(() => LogEffectiveConfiguration(host.Services, $"the Functions host at {hostEndpoint}"));
        return host;
    }

    private static void AddWebhookServices(IHostApplicationBuilder builder)
    {
        builder.Services.Configure<KestrelServerOptions>(kestrel => kestrel.Limits.MaxRequestBodySize = CaptureEndpoints.MaxCompletionBytes);

        var section = builder.Configuration.GetSection(AutoCaptureOptions.Section);
        builder.Services.AddOptions<AutoCaptureOptions>().Bind(section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AutoCaptureOptions>, AutoCaptureOptionsValidator>();

        builder.Services.AddAutoCaptureRules(section);

        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<RejectionLog>();
        services.AddSingleton(sp => ArtifactStores.Create(sp.GetRequiredService<IOptions<AutoCaptureOptions>>().Value.Store));
        services.AddSingleton<ManifestStore>();
        services.AddSingleton(sp => new OpenCaptures(sp.GetRequiredService<IArtifactStore>()));
        services.AddSingleton<IAlertSource, AlertmanagerSource>();
        services.AddSingleton<IAlertSource, GrafanaSource>();
        services.AddSingleton<IAlertSource, AzureMonitorSource>();
        services.AddSingleton<KnownCaptures>();
        services.AddSingleton<StoreLimiter>();
        services.AddSingleton<CaptureLimits>();
        services.AddSingleton<CaptureAdmission>();
        services.AddSingleton<ThrottleStage>();
        services.AddSingleton<AuthenticateStage>();
        services.AddSingleton<RepeatAnswers>();
        services.AddSingleton<ParseStage>();
        services.AddSingleton<RouteStage>();
        services.AddSingleton<AdmitStage>();
        services.AddSingleton<DispatchStage>();
        services.AddSingleton<PeerBaselineStage>();
        services.AddSingleton<BaselineStarter>();
        services.AddSingleton<BaselineScheduler>();
        services.AddSingleton<BaselinePointers>();
        services.AddSingleton<BaselineComparisons>();
        services.AddSingleton<BaselineRetention>();
        services.AddSingleton<WebhookPipeline>();
        services.AddSingleton<DispatchQueue>();
        services.AddSingleton<BusyCollectorRetry>();
        services.AddSingleton<DispatchWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<DispatchWorker>());
        services.AddSingleton<Housekeeping>();
        services.AddHttpClient<CollectorClient>()
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var handler = TrustedCertificates.Handler(sp.GetRequiredService<IOptions<AutoCaptureOptions>>().Value.Collector.TrustedCertificate);
                // A redirect would carry a signed request past the collector allowlist (to a metadata address, say).
                handler.AllowAutoRedirect = false;
                return handler;
            })
            .AddRetries("collector", CollectorClient.Retries);
        services.AddSingleton<CompletionService>();
        services.AddSingleton<ArtifactVerifier>();
        services.AddSingleton<CaptureFinisher>();
        services.AddSingleton<PublicUrls>();
        services.AddHostedService<ReadLinkKeys>();
        services.AddSingleton<ChatDispatcher>();
        services.AddChatHttp();
        services.AddSingleton(sp => new ChatChannels(sp.GetRequiredService<IOptions<AutoCaptureOptions>>(), sp.GetRequiredService<IHttpClientFactory>(), Console.Out, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<SkipNotices>();
        services.AddSingleton<ChatOutbox>();
        services.AddHostedService(sp => sp.GetRequiredService<ChatOutbox>());
        services.AddSingleton<IValidateOptions<AutoCaptureOptions>, RulesValidator>();
        services.AddSingleton<CaptureSearch>();
        services.AddSingleton<ApiAuthorization>();
        services.AddSingleton<OnDemandCaptures>();
        services.AddSingleton<SlackRequestVerifier>();
        services.AddSingleton<SlackInteractivity>();
        services.AddSingleton(sp =>
        {
            var collector = sp.GetRequiredService<IOptions<AutoCaptureOptions>>().Value.Collector;
            return new RequestVerifier(collector.AcceptedKeys(), sp.GetRequiredService<TimeProvider>(), TimeSpan.FromMinutes(5));
        });
    }

    private static void LogEffectiveConfiguration(IServiceProvider services, string listening)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("AutoCapture.Functions");
        var options = services.GetRequiredService<IOptions<AutoCaptureOptions>>().Value;
        var rules = services.GetRequiredService<CurrentRules>().Value;
        logger.LogInformation("Webhook app listening on {Addresses}; {RuleCount} rules from {RulesFile}", listening, rules.Rules.Count, rules.Path);
        foreach (var (name, value) in options.Describe())
        {
            logger.LogInformation("Setting {Name} = {Value}", name, value);
        }
    }
}
