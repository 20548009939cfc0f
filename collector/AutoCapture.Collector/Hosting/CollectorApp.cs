using AutoCapture.Collector.Captures;
using AutoCapture.Collector.Dotnet;
using AutoCapture.Collector.Go;
using AutoCapture.Collector.Options;
using AutoCapture.Collector.Processes;
using AutoCapture.Collector.Runs;
using AutoCapture.Core.Hosting;
using AutoCapture.Core.Security;
using AutoCapture.Core.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AutoCapture.Collector.Hosting;

/// <summary>Builds the collector daemon; the standalone binary and the CLI demo both start it here.</summary>
public static class CollectorApp
{
    private static readonly byte[] HealthyBody = """{"status":"ok"}"""u8.ToArray();

    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // The slim builder leaves out IIS, QUIC, host filtering and the default log providers: a smaller idle footprint on every host.
        var builder = WebApplication.CreateSlimBuilder(args);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            // Loopback unless told otherwise: a collector should be reachable only where it is meant to be.
            builder.WebHost.UseUrls(CollectorOptions.DefaultUrl);
        }

        configure?.Invoke(builder);

        // HTTPS endpoints come from configuration (Kestrel:Endpoints:Https:Url, :Certificate:Path, :KeyPath); the
        // slim builder leaves that out unless asked.
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.Logging.AddAutoCaptureLogging(builder.Configuration, "collector");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = CaptureEndpoint.MaxBodyBytes);

        var services = builder.Services;
        services.AddOptions<CollectorOptions>().Bind(builder.Configuration.GetSection(CollectorOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CollectorOptions>, CollectorOptionsValidator>();
        // Try: a host (or a test) may bring its own clock.
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<RejectionLog>();
        services.AddOptions<StoreOptions>().Bind(builder.Configuration.GetSection(StoreOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<StoreOptions>, StoreOptionsValidator>();
        services.AddSingleton<CaptureStores>();
        services.AddSingleton<DotnetProcessFinder>();
        services.AddSingleton<GopsProcessFinder>();
        services.AddSingleton<IProcessFinder, TargetResolver>();
        services.AddSingleton<ICaptureProvider, DotnetCpuCaptureProvider>();
        services.AddSingleton<ICaptureProvider, DotnetStacksCaptureProvider>();
        services.AddSingleton<ICaptureProvider, DotnetHeapCaptureProvider>();
        services.AddSingleton<ICaptureProvider, DotnetDumpCaptureProvider>();
        services.AddSingleton<ICaptureProvider, DotnetCountersCaptureProvider>();
        services.AddGoCaptures();
        services.AddHttpClient<CompletionReporter>()
            .ConfigurePrimaryHttpMessageHandler(sp => TrustedCertificates.Handler(sp.GetRequiredService<IOptions<CollectorOptions>>().Value.TrustedCertificate))
            .AddRetries("completion", CompletionReporter.Retries);
        services.AddSingleton<CollectorAdmission>();
        services.AddSingleton<CaptureJournal>();
        services.AddSingleton<StoreOutageRetry>();
        services.AddSingleton<CaptureRunner>();
        services.AddHostedService<InterruptedCaptures>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<CollectorOptions>>().Value;
            var clock = sp.GetRequiredService<TimeProvider>();
            return new RequestVerifier(options.AcceptedKeys(), clock, TimeSpan.FromMinutes(5), notBefore: clock.GetUtcNow(), acceptsAudience: new CollectorAudience(options).Accepts);
        });

        var app = builder.Build();
        app.UseAutoCaptureRequestLogging();
        // Made now, not on the first request: its start is the line before which no signed request is accepted.
        app.Services.GetRequiredService<RequestVerifier>();
        app.MapGet("/healthz", (RequestDelegate)(context =>
        {
            context.Response.ContentType = "application/json";
            return context.Response.Body.WriteAsync(HealthyBody).AsTask();
        }));
        app.MapCaptureEndpoint();
        app.MapAutoCaptureMetrics();
        app.Lifetime.ApplicationStarted.Register(() => OnStarted(app));
        return app;
    }

    private static void OnStarted(WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<CollectorOptions>>().Value;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("AutoCapture.Collector");
        // Scratch folders left by a previous run belong to captures that run no more (the journal says which).
        if (Directory.Exists(options.WorkDirectory))
        {
            foreach (var leftover in Directory.EnumerateDirectories(options.WorkDirectory).Where(d => Path.GetFileName(d) != CaptureJournal.FolderName))
            {
                try
                {
                    Directory.Delete(leftover, recursive: true);
                }
                catch (IOException e)
                {
                    logger.LogWarning("Could not clear {Folder}: {Reason}", leftover, e.Message);
                }
            }
        }

        logger.LogInformation("Collector listening on {Addresses}; store {Store}", string.Join(", ", app.Urls), app.Services.GetRequiredService<IOptions<StoreOptions>>().Value.Describe());
        foreach (var (name, value) in options.Describe())
        {
            logger.LogInformation("Setting {Name} = {Value}", name, value);
        }
    }
}
