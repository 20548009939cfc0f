using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Json;

namespace AutoCapture.Core.Hosting;

/// <summary>
/// Serilog for both processes: structured JSON on the console when it is not a terminal (containers, systemd,
/// Azure), readable text when it is. A <c>Serilog</c> configuration section overrides levels and sinks. One line
/// per HTTP request (<see cref="UseAutoCaptureRequestLogging"/>) replaces ASP.NET Core's own request lines.
/// </summary>
public static class AutoCaptureLogging
{
    private const int MaxQueryNames = 8;
    private const int MaxQueryNameLength = 32;

    /// <param name="besideOtherProviders">
    /// Serilog as one provider among others instead of the whole logger factory: the Functions worker adds its own
    /// provider, which sends an invocation's logs to the host, and a replaced factory would never call it.
    /// </param>
    public static ILoggingBuilder AddAutoCaptureLogging(this ILoggingBuilder logging, IConfiguration configuration, string application, bool besideOtherProviders = false)
    {
        var config = new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information);
        if (configuration.GetSection("Serilog").Exists())
        {
            // Reading Serilog settings scans assemblies; only pay for it when there are settings to read.
            config = config.ReadFrom.Configuration(configuration);
        }

        config = config
            // These categories write full URLs at Information: the request line (which may carry a query-string
            // secret) and outgoing calls (a Slack webhook URL is a secret). Pinned after the configuration so no
            // setting can turn them back on.
            .MinimumLevel.Override("Microsoft.AspNetCore.Hosting.Diagnostics", LogEventLevel.Warning)
            .MinimumLevel.Override("System.Net.Http.HttpClient", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            .Enrich.WithProperty("Application", application);
        if (!configuration.GetSection("Serilog:WriteTo").Exists())
        {
            config = Console.IsOutputRedirected || configuration.GetValue<bool>("AutoCapture:JsonLogs")
                ? config.WriteTo.Console(new JsonFormatter(renderMessage: true), standardErrorFromLevel: LogEventLevel.Verbose)
                : config.WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Application}: {Message:lj}{NewLine}{Exception}", standardErrorFromLevel: LogEventLevel.Verbose);
        }

        logging.ClearProviders();
        // Through the services rather than as a provider: request logging needs the DiagnosticContext this registers,
        // and the logger itself (it would otherwise write to Serilog's static logger, which is never set).
        var logger = config.CreateLogger();
        if (besideOtherProviders)
        {
            logging.AddSerilog(logger, dispose: true);
        }
        else
        {
            logging.Services.AddSerilog(logger, dispose: true);
        }

        logging.Services.AddSingleton<Serilog.ILogger>(logger);
        return logging;
    }

    /// <summary>
    /// One line per request: method, path, status and time. Query values are never logged — function keys
    /// (<c>code</c>), link tokens and source secrets (<c>token</c>), SAS signatures (<c>sig</c>) travel there — only
    /// the parameters' names. Rejections (4xx) log at Debug, since the rejection log already tells them at a bounded
    /// rate; probes of /healthz and /metrics at Verbose.
    /// </summary>
    public static IApplicationBuilder UseAutoCaptureRequestLogging(this IApplicationBuilder app) =>
        app.UseSerilogRequestLogging(options =>
        {
            options.Logger = app.ApplicationServices.GetRequiredService<Serilog.ILogger>();
            // :l renders them as they are, not as quoted strings (an empty query would read "").
            options.MessageTemplate = "HTTP {RequestMethod:l} {RequestPath:l}{RequestQuery:l} answered {StatusCode} in {Elapsed:0.0} ms";
            options.GetLevel = (context, _, error) =>
                error is not null || context.Response.StatusCode >= 500 ? LogEventLevel.Error
                : context.Request.Path.StartsWithSegments("/healthz") || context.Request.Path.StartsWithSegments("/metrics") ? LogEventLevel.Verbose
                : context.Response.StatusCode >= 400 ? LogEventLevel.Debug
                : LogEventLevel.Information;
            options.EnrichDiagnosticContext = (diagnostics, context) => diagnostics.Set("RequestQuery", MaskedQuery(context.Request.Query));
        });

    /// <summary>The query with every value masked; names are the sender's, so they are shortened and kept to one line.</summary>
    public static string MaskedQuery(IQueryCollection query)
    {
        if (query.Count == 0)
        {
            return string.Empty;
        }

        var names = query.Keys.Take(MaxQueryNames).Select(name =>
            new string([.. name.Take(MaxQueryNameLength).Select(c => char.IsControl(c) ? '?' : c)]) + "=***");
        return "?" + string.Join('&', names) + (query.Count > MaxQueryNames ? "&…" : string.Empty);
    }
}
