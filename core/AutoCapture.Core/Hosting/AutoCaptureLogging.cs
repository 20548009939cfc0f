using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Json;

namespace AutoCapture.Core.Hosting;

/// <summary>
/// Serilog for both processes: structured JSON on the console when it is not a terminal (containers, systemd,
/// Azure), readable text when it is. A <c>Serilog</c> configuration section overrides levels and sinks.
/// </summary>
public static class AutoCaptureLogging
{
    public static ILoggingBuilder AddAutoCaptureLogging(this ILoggingBuilder logging, IConfiguration configuration, string application)
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
        logging.AddSerilog(config.CreateLogger(), dispose: true);
        return logging;
    }
}
