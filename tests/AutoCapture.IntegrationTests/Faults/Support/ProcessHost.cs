using System.Diagnostics;
using System.Text.Json;

namespace AutoCapture.IntegrationTests.Faults.Support;

/// <summary>
/// The webhook app or the collector as an OS process of its own (<c>dotnet &lt;dll&gt; --urls …</c>), configured the
/// way an operator does it, through <c>AutoCapture__…</c> environment variables, so a test can SIGKILL it and start
/// it again on the same address. Each run writes its stdout and stderr (the JSON log) to files of its own.
/// </summary>
public sealed class ProcessHost : IDisposable
{
    private static readonly TimeSpan HealthyTimeout = TimeSpan.FromSeconds(45);
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly string _dll;
    private readonly IReadOnlyDictionary<string, string> _settings;
    private readonly string _logDirectory;
    private Process? _process;
    private int _runs;

    public ProcessHost(string name, string dll, int port, IReadOnlyDictionary<string, string> settings, string logDirectory)
    {
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{dll} is missing: the integration test project references the app, so its build should have put it there");
        }

        Name = name;
        _dll = dll;
        Port = port;
        _settings = settings;
        _logDirectory = logDirectory;
        Directory.CreateDirectory(logDirectory);
    }

    public static string WebhookDll => Path.Combine(AppContext.BaseDirectory, "autocapture-functions.dll");

    public static string CollectorDll => Path.Combine(AppContext.BaseDirectory, "autocapture-collector.dll");

    public string Name { get; }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts a new run and waits until it answers /healthz; fails with its log if it exits or never answers.</summary>
    public async Task StartAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"{Name} is already running");
        }

        _process?.Dispose();
        _runs++;
        var start = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            WorkingDirectory = _logDirectory,
        };
        // The shell only sets up the log files, then becomes the app (exec), so the pid killed is the app's.
        foreach (var argument in new[] { "-c", "out=$1; err=$2; shift 2; exec \"$@\" >>\"$out\" 2>>\"$err\"", "sh", OutFile(_runs), ErrFile(_runs), "dotnet", _dll, "--urls", Url })
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in _settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException($"{Name} did not start");
        await WaitHealthyAsync();
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing, as when a host dies or the OOM killer strikes.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    private async Task WaitHealthyAsync()
    {
        var deadline = DateTime.UtcNow + HealthyTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} before it was healthy:\n{Tail(ErrFile(_runs))}");
            }

            try
            {
                using var response = await Probe.GetAsync(new Uri($"{Url}/healthz"));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{Name} did not answer {Url}/healthz within {HealthyTimeout}:\n{Tail(ErrFile(_runs))}");
    }

    /// <summary>Every structured log event of every run so far (the apps write one JSON object per line when redirected).</summary>
    public IReadOnlyList<LogEvent> LogEvents()
    {
        var events = new List<LogEvent>();
        for (var run = 1; run <= _runs; run++)
        {
            if (!File.Exists(ErrFile(run)))
            {
                continue;
            }

            using var stream = new FileStream(ErrFile(run), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            while (reader.ReadLine() is { } line)
            {
                if (LogEvent.TryParse(line) is { } parsed)
                {
                    events.Add(parsed);
                }
            }
        }

        return events;
    }

    public string LogFiles => string.Join(", ", Enumerable.Range(1, _runs).Select(ErrFile));

    private string OutFile(int run) => Path.Combine(_logDirectory, $"{Name}-{run}.out");

    private string ErrFile(int run) => Path.Combine(_logDirectory, $"{Name}-{run}.err");

    private static string Tail(string file)
    {
        if (!File.Exists(file))
        {
            return "(no log)";
        }

        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var lines = new StreamReader(stream).ReadToEnd().Split('\n');
        return string.Join('\n', lines.TakeLast(30));
    }

    public void Dispose()
    {
        Kill();
        _process?.Dispose();
    }
}

/// <summary>One line of an app's JSON log: its message template and properties.</summary>
public sealed record LogEvent(string Level, string Template, string Message, JsonElement Properties)
{
    public string? Property(string name) =>
        Properties.ValueKind == JsonValueKind.Object && Properties.TryGetProperty(name, out var value)
            ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.ToString()
            : null;

    public static LogEvent? TryParse(string line)
    {
        if (!line.StartsWith('{'))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            return new LogEvent(
                root.TryGetProperty(nameof(Level), out var level) ? level.GetString() ?? string.Empty : string.Empty,
                root.TryGetProperty("MessageTemplate", out var template) ? template.GetString() ?? string.Empty : string.Empty,
                root.TryGetProperty("RenderedMessage", out var message) ? message.GetString() ?? string.Empty : string.Empty,
                root.TryGetProperty(nameof(Properties), out var properties) ? properties.Clone() : default);
        }
        catch (JsonException)
        {
            // A line cut short by SIGKILL.
            return null;
        }
    }
}
