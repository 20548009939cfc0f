using System.Net.Http.Headers;
using System.Text;
using AutoCapture.IntegrationTests.Support;

namespace AutoCapture.IntegrationTests.Pipeline;

/// <summary>
/// Hostile bodies through the real HTTP endpoint of every source: the answer is 202 or a 4xx with a message,
/// never a 5xx, and a rejected request writes nothing to the store.
/// </summary>
public sealed class WebhookFuzzTests : IAsyncLifetime
{
    private const int RequestsPerSource = 300;

    private const string Rules = """
        rules:
          - name: any
            match: ['alertname =~ ".*"']
            target: { collector: "http://127.0.0.1:9", host: "{{ labels.pod | default \"x\" }}", process: { name: checkout } }
            captures: [stacks]
        """;

    private readonly TestEnvironment _env = new();
    private RunningApp _webhook = null!;

    public async Task InitializeAsync() => _webhook = await _env.StartWebhookAsync(Rules, new()
    {
        ["AutoCapture:Sources:Grafana:BearerToken"] = _env.BearerToken,
        ["AutoCapture:Sources:AzureMonitor:BearerToken"] = _env.BearerToken,
        ["AutoCapture:Limits:StormTargets"] = "100000",
        ["AutoCapture:Limits:RuleBudget"] = "100000",
    });

    public async Task DisposeAsync() => await _env.DisposeAsync();

    public static TheoryData<string, string> Samples => new()
    {
        { "alertmanager", Alerts.Payload(Alerts.Firing("HighCPU", ("pod", "p1"))) },
        { "grafana", """{"version":"1","orgId":1,"status":"firing","alerts":[{"status":"firing","labels":{"alertname":"L","pod":"p2"},"startsAt":"2026-11-21T10:00:00Z","values":{"B":1.5}}]}""" },
        { "azuremonitor", File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Support", "azure-prometheus.json")) },
    };

    private HashSet<string> StoredObjects() =>
        Directory.Exists(_env.StorePath) ? [.. Directory.GetFiles(_env.StorePath, "*", SearchOption.AllDirectories).Where(f => !f.Contains("/.", StringComparison.Ordinal))] : [];

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task Hostile_bodies_get_a_4xx_with_a_message_and_write_nothing(string source, string sample)
    {
        var random = new Random(source.Length * 7919);
        var valid = Encoding.UTF8.GetBytes(sample);
        var noise = "\"{}[]:,\\0123456789aeflnrstu-+.eE \u00e9\ud83d\ude00"u8.ToArray();
        var rejected = 0;
        for (var i = 0; i < RequestsPerSource; i++)
        {
            var body = (i % 4) switch
            {
                0 => Mutate(valid, random, noise),
                1 => valid[..random.Next(valid.Length)],
                2 => [.. "{\"version\":"u8, .. Encoding.UTF8.GetBytes(new string('[', random.Next(1, 500))), .. "1"u8],
                _ => RandomBytes(random),
            };
            var before = StoredObjects();
            using var request = new HttpRequestMessage(HttpMethod.Post, $"{_webhook.Url}/api/alerts/{source}") { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _env.BearerToken);
            using var response = await _env.Http.SendAsync(request);
            var status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync();

            Assert.True(status is 202 or (>= 400 and < 500), $"{source}: {status} for {Encoding.UTF8.GetString(body[..Math.Min(200, body.Length)])}");
            if (status != 202)
            {
                rejected++;
                Assert.Contains("\"error\":", text, StringComparison.Ordinal);
                // Captures accepted earlier settle in the background (objects go), but a rejected body adds none.
                Assert.Empty(StoredObjects().Except(before));
            }
        }

        Assert.True(rejected > RequestsPerSource / 2, $"only {rejected} of {RequestsPerSource} bodies were rejected: the fuzzing is too gentle");
    }

    private static byte[] Mutate(byte[] valid, Random random, byte[] noise)
    {
        var copy = valid.ToList();
        for (var n = random.Next(1, 6); n > 0; n--)
        {
            var at = random.Next(copy.Count);
            copy.RemoveRange(at, Math.Min(random.Next(0, 8), copy.Count - at));
            copy.InsertRange(at, Enumerable.Range(0, random.Next(0, 8)).Select(_ => noise[random.Next(noise.Length)]));
        }

        return [.. copy];
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 2048)];
        random.NextBytes(bytes);
        return bytes;
    }
}
