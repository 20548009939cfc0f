using System.Net;
using System.Net.Sockets;
using System.Text;
using AutoCapture.Collector.Captures;
using AutoCapture.Collector.Options;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Hosting;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace AutoCapture.Collector.Go;

/// <summary>
/// Fetches one net/http/pprof endpoint into a file, saying in words what went wrong the way real Go servers fail:
/// 500 when another profiler already runs (never retried: hammering would only fail again), 400 when the duration
/// exceeds the server's WriteTimeout, 404 for a profile it does not have, a body cut short, no answer in time.
/// </summary>
public sealed class PprofHttpClient(HttpClient http, IOptions<CollectorOptions> options)
{
    private const int MaxErrorText = 300;

    // Set on a request once a connection for it was made: a later connection error then means the target went away
    // mid-request (the handler retries a dropped request on a new connection, which a dead target refuses).
    private static readonly HttpRequestOptionsKey<bool> Connected = new("autocapture.connected");

    /// <summary>The handler: no redirects (a target must not send the collector elsewhere), no proxy, short connects.</summary>
    public static SocketsHttpHandler CreateHandler() => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                context.InitialRequestMessage.Options.Set(Connected, true);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>
    /// The pprof HTTP client's resilience: only a connection that was never made is tried again (a target restarting
    /// or with a full accept backlog). Anything the target answered, or a connection it dropped, is its answer.
    /// </summary>
    public static void Retries(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, IServiceProvider _) =>
        pipeline.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
        {
            MaxRetryAttempts = 2,
            Delay = TimeSpan.FromMilliseconds(250),
            BackoffType = DelayBackoffType.Exponential,
            ShouldHandle = args => ValueTask.FromResult(
                args.Outcome.Exception is { } e && HttpResilience.NeverSent(e)
                && args.Context.GetRequestMessage() is { } request && !request.Options.TryGetValue(Connected, out bool _)),
        });

    /// <param name="address">A normalised, allowlisted target address.</param>
    /// <param name="pathAndQuery">e.g. <c>/debug/pprof/profile?seconds=30</c>; always under /debug/pprof/.</param>
    /// <param name="serverTime">How long the server itself takes (a profile's duration); the timeout adds to it.</param>
    /// <returns>The number of bytes written to <paramref name="destination"/>.</returns>
    public async Task<long> DownloadAsync(Uri address, string pathAndQuery, TimeSpan serverTime, string destination, CancellationToken cancellationToken)
    {
        if (!pathAndQuery.StartsWith("/debug/pprof/", StringComparison.Ordinal))
        {
            throw new ArgumentException("only /debug/pprof/ endpoints are fetched", nameof(pathAndQuery));
        }

        var target = TargetAddress.Format(address);
        var limit = serverTime + options.Value.Go.RequestTimeout;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);
        var written = 0L;
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(address, pathAndQuery));
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new CaptureFailedException(Refusal(target, pathAndQuery, serverTime, (int)response.StatusCode, await ErrorTextAsync(response, timeout.Token)));
            }

            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            await using var file = new FileStream(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            var buffer = new byte[1 << 16];
            int read;
            while ((read = await body.ReadAsync(buffer, timeout.Token)) > 0)
            {
                written += read;
                if (written > options.Value.Go.MaxProfileBytes)
                {
                    throw new CaptureFailedException($"{target}{Path(pathAndQuery)} sent more than {options.Value.Go.MaxProfileBytes} bytes (AutoCapture:Collector:Go:MaxProfileBytes); stopped reading");
                }

                await file.WriteAsync(buffer.AsMemory(0, read), timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CaptureFailedException($"{target} did not finish answering {Path(pathAndQuery)} within {limit.TotalSeconds:0} s (after {written} bytes): the server is too slow or hung");
        }
        catch (HttpRequestException e) when (!request.Options.TryGetValue(Connected, out _) && (e.HttpRequestError == HttpRequestError.ConnectionError || e.InnerException is SocketException))
        {
            throw new CaptureFailedException($"cannot connect to {target}: {e.InnerException?.Message ?? e.Message} (is its pprof server running?)", e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw new CaptureFailedException($"the connection to {target} broke during {Path(pathAndQuery)} after {written} bytes: the target exited or closed it mid-response ({e.Message})", e);
        }

        if (written == 0)
        {
            throw new CaptureFailedException($"{target}{Path(pathAndQuery)} answered 200 with an empty body");
        }

        return written;
    }

    private static string Path(string pathAndQuery)
    {
        var query = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        return query < 0 ? pathAndQuery : pathAndQuery[..query];
    }

    private static string Refusal(string target, string pathAndQuery, TimeSpan serverTime, int status, string said)
    {
        var path = Path(pathAndQuery);
        if (status == 500 && (said.Contains("already in use", StringComparison.OrdinalIgnoreCase) || said.Contains("already enabled", StringComparison.OrdinalIgnoreCase)))
        {
            return $"another profiler is already running in {target} (it answered 500 \"{said}\"); not retried: capture again once that one has finished";
        }

        if (status == 400 && said.Contains("WriteTimeout", StringComparison.OrdinalIgnoreCase))
        {
            return $"{target} refused a {serverTime.TotalSeconds:0} s capture: it is longer than the server's WriteTimeout (400 \"{said}\"); ask for a shorter duration";
        }

        if (status == 404)
        {
            return $"{target} has no {path} (404 \"{said}\"): the profile is unknown to it, or net/http/pprof is not mounted there";
        }

        return $"{target} answered {status} for {path}: \"{said}\"";
    }

    private static async Task<string> ErrorTextAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[MaxErrorText];
            var length = await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
            var text = Encoding.UTF8.GetString(buffer, 0, length);
            // One line of printable text: the answer ends up in logs and chat.
            var clean = new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray()).Trim();
            return clean.Length == 0 ? "(no message)" : clean;
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return "(no message)";
        }
    }
}
