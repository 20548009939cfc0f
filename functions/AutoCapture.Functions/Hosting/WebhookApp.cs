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
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Hosting;

/// <summary>Builds the webhook app; the standalone binary, the Functions custom handler and the CLI demo all start it here.</summary>
public static class WebhookApp
{
    public const string CustomHandlerPortVariable = "FUNCTIONS_CUSTOMHANDLER_PORT";

    /// <exception cref="RulesFileException">The rules file or blob is missing or invalid.</exception>
    /// <param name="configure">Runs first: add configuration sources here.</param>
    /// <param name="overrideServices">Runs last, before the app is built: replace services here (benchmarks, tests).</param>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null, Action<IServiceCollection>? overrideServices = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        var customHandlerPort = builder.Configuration[CustomHandlerPortVariable];
        var underFunctionsHost = !string.IsNullOrEmpty(customHandlerPort);
        if (underFunctionsHost)
        {
            // Under the Azure Functions host: it forwards requests to this port on loopback.
            builder.WebHost.UseUrls($"http://127.0.0.1:{customHandlerPort}");
        }

        builder.Logging.AddAutoCaptureLogging(builder.Configuration, "functions");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = CaptureEndpoints.MaxCompletionBytes);

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
        if (!underFunctionsHost)
        {
            // Under the Functions host the timer function runs housekeeping instead.
            services.AddHostedService<HousekeepingService>();
        }
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
        services.AddSingleton(sp =>
        {
            var collector = sp.GetRequiredService<IOptions<AutoCaptureOptions>>().Value.Collector;
            return new RequestVerifier(collector.AcceptedKeys(), sp.GetRequiredService<TimeProvider>(), TimeSpan.FromMinutes(5));
        });

        overrideServices?.Invoke(services);
        var app = builder.Build();
        app.UseAutoCaptureRequestLogging();
        app.Use(async (context, next) =>
        {
            context.Response.Headers.XContentTypeOptions = "nosniff";
            context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";
            context.Response.Headers["Referrer-Policy"] = "no-referrer";
            await next(context);
        });
        app.UseFlameGraphViewer();
        app.MapGet("/", () => Results.Text("AutoCapture webhook app"));
        app.MapGet("/healthz", () => Results.Json(new { status = "ok" }));
        app.MapAutoCaptureMetrics();
        app.MapAlertEndpoints();
        app.MapCaptureEndpoints();
        if (underFunctionsHost)
        {
            app.MapCustomHandlerEndpoints();
        }
        app.Lifetime.ApplicationStarted.Register(() => LogEffectiveConfiguration(app));
        return app;
    }

    private static void LogEffectiveConfiguration(WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("AutoCapture.Functions");
        var options = app.Services.GetRequiredService<IOptions<AutoCaptureOptions>>().Value;
        var rules = app.Services.GetRequiredService<CurrentRules>().Value;
        logger.LogInformation("Webhook app listening on {Addresses}; {RuleCount} rules from {RulesFile}", string.Join(", ", app.Urls), rules.Rules.Count, rules.Path);
        foreach (var (name, value) in options.Describe())
        {
            logger.LogInformation("Setting {Name} = {Value}", name, value);
        }
    }
}
