using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Json;
using AutoCapture.Core.Security;
using AutoCapture.Core.Storage;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Security;

/// <summary>
/// Hostile values in every field a request carries — path traversal, shell metacharacters, URLs to elsewhere —
/// never reach the file system or a command line: each is refused with a 4xx saying why, or ends as a failed
/// capture with a reason, and no file appears outside the store's own layout.
/// </summary>
public sealed class InjectionTests : IAsyncLifetime
{
    public static readonly string[] Hostile =
    [
        "../../../../tmp/autocapture-pwned",
        "/etc/passwd",
        "..\\..\\windows",
        "x; touch /tmp/autocapture-pwned-shell",
        "$(touch /tmp/autocapture-pwned-subshell)",
        "`id`",
        "a\nb",
        "%2e%2e%2f%2e%2e%2fetc",
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data",
        "http://user:secret@10.0.0.1:6060",
        new string('A', 5000),
    ];

    private readonly TestEnvironment _env = new();

    // Allowed, and of this run alone: nothing else on the machine can be captured by it.
    private readonly string _process = $"absent-{Guid.NewGuid():N}";
    private RunningApp _collector = null!;
    private RunningApp _webhook = null!;

    public async Task InitializeAsync()
    {
        _collector = await _env.StartCollectorAsync(new() { ["AutoCapture:Collector:AllowedProcesses:0:Name"] = _process });
        _webhook = await _env.StartWebhookAsync($$$"""
            rules:
              - name: labels-everywhere
                match: ['alertname = "Hostile"']
                target: { collector: "{{{_collector.Url}}}", host: "{{ labels.host }}", process: { name: "{{ labels.process }}" } }
                captures: [stacks]
              - name: command-line
                match: ['alertname = "HostileCommandLine"']
                target: { collector: "{{{_collector.Url}}}", process: { commandLine: "{{ labels.process }}" } }
                captures: [stacks]
            """);
    }

    public async Task DisposeAsync() => await _env.DisposeAsync();

    private static string[] Pwned() =>
        [.. Directory.GetFiles("/tmp", "autocapture-pwned*"), .. Directory.GetFiles(Path.GetTempPath(), "autocapture-pwned*")];

    /// <summary>Everything under the store is either internal bookkeeping or a key of the store layout.</summary>
    private void AssertStoreHoldsOnlyItsLayout()
    {
        foreach (var file in Directory.GetFiles(_env.StorePath, "*", SearchOption.AllDirectories))
        {
            var key = Path.GetRelativePath(_env.StorePath, file).Replace('\\', '/');
            Assert.True(
                key.StartsWith('.') || key.StartsWith("state/", StringComparison.Ordinal) || System.Text.RegularExpressions.Regex.IsMatch(key, @"^captures/\d{4}/\d{2}/\d{2}/\d{8}-[0-9a-f]{16}/[A-Za-z0-9][A-Za-z0-9._-]*$"),
                $"unexpected file in the store: {key}");
        }
    }

    private async Task<HttpResponseMessage> SignedPostAsync(string url, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } } };
        RequestSigning.Sign(request, new SigningKey("default", _env.CollectorKey), body, DateTimeOffset.UtcNow);
        return await _env.Http.SendAsync(request);
    }

    [Fact]
    public async Task Hostile_alert_labels_flow_into_targets_but_end_as_failed_captures_with_reasons()
    {
        var ids = new List<string>();
        foreach (var (value, i) in Hostile.Select((v, i) => (v, i)))
        {
            foreach (var alertname in new[] { "Hostile", "HostileCommandLine" })
            {
                using var response = await _env.PostAlertAsync(_webhook.Url, Alerts.Payload(Alerts.Firing(alertname, ("host", value), ("process", value), ("n", $"{i}"))));
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                var capture = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("alerts")[0].GetProperty("captures");
                if (capture.GetArrayLength() == 1 && capture[0].GetProperty("result").GetString() == "started")
                {
                    ids.Add(capture[0].GetProperty("captureId").GetString()!);
                }
            }
        }

        Assert.NotEmpty(ids);
        foreach (var id in ids)
        {
            var manifest = await _env.WaitForOutcomeAsync(id, TimeSpan.FromSeconds(60));
            Assert.Equal(CaptureStatus.Failed, manifest.Status);
            Assert.False(string.IsNullOrWhiteSpace(manifest.Error));
        }

        Assert.Empty(Pwned());
        AssertStoreHoldsOnlyItsLayout();
    }

    [Fact]
    public async Task Hostile_values_in_every_field_of_a_signed_capture_request_are_refused_or_fail_harmlessly()
    {
        var valid = JsonNode.Parse(AutoCaptureJson.Serialize(new CaptureRequest("20261121-0123456789abcdef", new ProcessSelector(Name: _process), [new CaptureSpec(CaptureKinds.Stacks)], $"{_webhook.Url}/api/captures/20261121-0123456789abcdef/complete")))!;
        var paths = new[] { "captureId", "process.name", "process.commandLine", "process.address", "process.runtime", "captures.0.kind", "captures.0.dumpType", "completionUrl", "progressUrl" };
        foreach (var path in paths)
        {
            foreach (var value in Hostile)
            {
                var body = valid.DeepClone();
                Set(body, path, value);
                if (path.StartsWith("process.", StringComparison.Ordinal) && path != "process.runtime")
                {
                    // Exactly one selector: the hostile one.
                    body["process"]!.AsObject().Remove("name");
                    Set(body, path, value);
                }

                using var response = await SignedPostAsync($"{_collector.Url}/v1/captures", Encoding.UTF8.GetBytes(body.ToJsonString()));
                var status = (int)response.StatusCode;
                Assert.True(status is 202 or 400 or 409, $"{path} = {value[..Math.Min(40, value.Length)]}: {status} {await response.Content.ReadAsStringAsync()}");
            }
        }

        await TestEnvironment.WaitForCollectorIdleAsync(_collector);
        Assert.Empty(Pwned());
        AssertStoreHoldsOnlyItsLayout();
    }

    [Fact]
    public async Task Hostile_artifact_names_in_a_signed_completion_are_never_listed_or_opened()
    {
        // A live capture, as if a collector had taken it; its completion then names hostile artifacts.
        var id = CaptureIds.NewRandom(DateTimeOffset.UtcNow);
        var now = DateTimeOffset.UtcNow;
        await new FolderStore(_env.StorePath).WriteJsonAsync(CaptureIds.ManifestKey(id), new CaptureManifest
        {
            Id = id,
            Status = CaptureStatus.Running,
            Alert = new AutoCapture.Core.Alerts.Alert("alertmanager", "Hostile", AutoCapture.Core.Alerts.AlertStatus.Firing, new Dictionary<string, string>(), new Dictionary<string, string>(), now, null, "fp", "fp"),
            Rule = "labels-everywhere",
            Target = new CaptureTarget(_collector.Url, "web-1", new ProcessSelector(Name: _process)),
            Captures = [new CaptureSpec(CaptureKinds.Stacks)],
            CreatedAt = now,
        }, WriteCondition.IfAbsent, CancellationToken.None);
        var artifacts = Hostile.Select(name => new ArtifactInfo(name, "stacks", "text/plain", 1, new string('0', 64))).ToList();
        var result = new CaptureResult(id, true, null, null, [], artifacts, new AutoCapture.Core.Summaries.CaptureSummary(), DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);

        using var response = await SignedPostAsync($"{_webhook.Url}/api/captures/{id}/complete", AutoCaptureJson.Serialize(result));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var manifest = await _env.Manifests.ReadAsync(id, CancellationToken.None);
        Assert.Equal(CaptureStatus.Failed, manifest!.Status);
        Assert.Empty(manifest.Artifacts);
        Assert.Contains("is not valid; not listed", manifest.Error, StringComparison.Ordinal);
        AssertStoreHoldsOnlyItsLayout();
    }

    private static void Set(JsonNode root, string path, string value)
    {
        var parts = path.Split('.');
        var node = root;
        foreach (var part in parts[..^1])
        {
            node = int.TryParse(part, out var index) ? node[index]! : node[part]!;
        }

        node[parts[^1]] = value;
    }
}
