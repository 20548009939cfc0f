using System.Text.Json;
using AutoCapture.Collector.Options;
using AutoCapture.Collector.Runs;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Hosting;
using AutoCapture.Core.Json;
using AutoCapture.Core.Security;
using Microsoft.Extensions.Options;

namespace AutoCapture.Collector.Hosting;

/// <summary>POST /v1/captures: the one thing a collector can be asked to do, and only with a valid signature.</summary>
public static class CaptureEndpoint
{
    public const int MaxBodyBytes = 256 * 1024;

    public static void MapCaptureEndpoint(this IEndpointRouteBuilder app)
    {
        // A plain request delegate: minimal-API parameter binding compiles expression trees, which a daemon on
        // every host pays for in memory.
        app.MapPost("/v1/captures", (RequestDelegate)(async context =>
        {
            var result = await HandleAsync(context);
            CollectorMetrics.Answered(result is IStatusCodeHttpResult { StatusCode: { } status } ? status : StatusCodes.Status200OK);
            await result.ExecuteAsync(context);
        }));
    }

    private static async Task<IResult> HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var services = context.RequestServices;
        var verifier = services.GetRequiredService<RequestVerifier>();
        var runner = services.GetRequiredService<CaptureRunner>();
        var options = services.GetRequiredService<IOptions<CollectorOptions>>();
        var logger = services.GetRequiredService<ILogger<CaptureRunner>>();
        var cancellationToken = context.RequestAborted;
        if (request.ContentLength > MaxBodyBytes)
        {
            return Error(413, $"body is larger than {MaxBodyBytes} bytes");
        }

        byte[] body;
        using (var buffer = new MemoryStream())
        {
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > MaxBodyBytes)
                {
                    return Error(413, $"body is larger than {MaxBodyBytes} bytes");
                }

                buffer.Write(chunk, 0, read);
            }

            body = buffer.ToArray();
        }

        var check = verifier.Verify(request.Method, request.Path + request.QueryString, name => request.Headers.TryGetValue(name, out var v) ? v.ToString() : null, body);
        if (!check.IsValid)
        {
            var remote = request.HttpContext.Connection.RemoteIpAddress;
            if (services.GetRequiredService<RejectionLog>().ShouldLog($"{remote}", out var folded))
            {
                logger.LogWarning("Refused a capture request from {Remote}: {Reason} ({Folded} more refused from there since the last such line)", remote, check.Message, folded);
            }

            return Error(401, check.Message);
        }

        CaptureRequest capture;
        try
        {
            capture = AutoCaptureJson.Deserialize<CaptureRequest>(body);
        }
        catch (JsonException e)
        {
            return Error(400, $"body is not a capture request: {e.Message}");
        }

        if ((Validate(capture, options.Value) ?? services.GetRequiredService<CaptureStores>().Problem(capture)) is { } problem)
        {
            return Error(400, problem);
        }

        var answer = runner.Start(capture);
        if (!answer.Accepted)
        {
            logger.LogInformation("Capture {CaptureId} refused: {Reason}", capture.CaptureId, answer.Message);
            return Error(answer.Status, answer.Message);
        }

        if (answer == StartAnswer.AlreadyRunning)
        {
            logger.LogInformation("Capture {CaptureId} asked for again while it runs: accepted, not started twice", capture.CaptureId);
        }
        else
        {
            logger.LogInformation("Capture {CaptureId} accepted: {Kinds} of {Process}", capture.CaptureId, string.Join(", ", capture.Captures.Select(c => c.Kind)), capture.Process);
        }

        return Results.Json(new { captureId = capture.CaptureId, status = answer.Message }, statusCode: 202);
    }

    /// <summary>Everything in a request that reaches a file name, a process lookup or an HTTP call is checked here.</summary>
    internal static string? Validate(CaptureRequest request, CollectorOptions options)
    {
        if (!CaptureIds.IsValid(request.CaptureId))
        {
            return "captureId is not a capture id";
        }

        if (request.Process is null)
        {
            return "process is required";
        }

        if (!Runtimes.All.Contains(request.Process.Runtime))
        {
            return $"process.runtime '{request.Process.Runtime}' is not supported";
        }

        var process = request.Process;
        var selectors = (process.Pid is not null ? 1 : 0) + (process.Name is not null ? 1 : 0) + (process.CommandLine is not null ? 1 : 0) + (process.Address is not null ? 1 : 0);
        if (selectors != 1)
        {
            return "process must set exactly one of pid, name, commandLine or address";
        }

        if (process.Pid is <= 0 || process.Name?.Length is 0 or > 256 || process.CommandLine?.Length is 0 or > 1024)
        {
            return "process selector is empty or too long";
        }

        var byAddress = process.Address is not null;
        if (byAddress && process.Runtime != Runtimes.Go)
        {
            return "process.address is for go targets (net/http/pprof); other runtimes are captured by pid, name or commandLine";
        }

        if (process.Address is { } address && !TargetAddress.TryNormalize(address, out _, out var addressError))
        {
            return $"process.{addressError}";
        }

        if (request.Captures is not { Count: > 0 and <= 16 })
        {
            return "captures must list 1 to 16 kinds";
        }

        foreach (var spec in request.Captures)
        {
            if (spec is null || !CaptureKinds.IsKnown(spec.Kind))
            {
                return $"unknown capture kind '{spec?.Kind}'";
            }

            if (Runtimes.Unsupported(process.Runtime, byAddress, spec.Kind) is { } unsupported)
            {
                return unsupported;
            }

            if (spec.DurationSeconds is { } seconds && (seconds < 1 || seconds > options.MaxDuration.TotalSeconds))
            {
                return $"{spec.Kind} duration {seconds} s is outside 1..{options.MaxDuration.TotalSeconds} s";
            }

            if (spec.DumpType is { } dumpType && (spec.Kind != CaptureKinds.Dump || !DumpTypes.All.Contains(dumpType)))
            {
                return spec.Kind != CaptureKinds.Dump
                    ? $"dumpType applies to kind 'dump' only, not '{spec.Kind}'"
                    : $"dumpType '{dumpType}' is unknown (known: {string.Join(", ", DumpTypes.All)})";
            }
        }

        if (request.Captures.Select(c => c.Kind).Distinct().Count() != request.Captures.Count)
        {
            return "a kind is listed twice";
        }

        var completionBase = CallbackBase(request.CompletionUrl, request.CaptureId, "complete");
        var progressBase = CallbackBase(request.ProgressUrl, request.CaptureId, "progress");
        var allowedBase = options.CallbackBaseUrl is { } configured ? new Uri(configured).GetLeftPart(UriPartial.Path).TrimEnd('/') : null;
        if (request.CompletionUrl is not null && (completionBase is null || (allowedBase is not null && completionBase != allowedBase)))
        {
            return $"completionUrl must be {allowedBase ?? "an http(s) base URL"}/api/captures/{request.CaptureId}/complete";
        }

        // The progress report goes where the completion goes: a signed request names one webhook app, not two.
        if (request.ProgressUrl is not null && (progressBase is null || progressBase != (completionBase ?? allowedBase ?? progressBase)))
        {
            return $"progressUrl must be {completionBase ?? allowedBase ?? "an http(s) base URL"}/api/captures/{request.CaptureId}/progress";
        }

        return null;
    }

    /// <summary>The base of a callback URL to this capture's own endpoint, or null for anything else (another scheme, credentials, another path).</summary>
    private static string? CallbackBase(string? url, string captureId, string endpoint)
    {
        var suffix = $"/api/captures/{captureId}/{endpoint}";
        return Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is ("http" or "https")
            && uri.UserInfo.Length == 0 && uri.Query.Length == 0 && uri.Fragment.Length == 0
            && uri.AbsolutePath.EndsWith(suffix, StringComparison.Ordinal)
            ? uri.GetLeftPart(UriPartial.Path)[..^suffix.Length]
            : null;
    }

    private static IResult Error(int status, string message) => Results.Json(new { error = message }, statusCode: status);
}
