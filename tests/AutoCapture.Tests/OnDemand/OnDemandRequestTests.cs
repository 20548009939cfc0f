using System.Text;
using AutoCapture.Core.Captures;
using AutoCapture.Functions.Endpoints;
using AutoCapture.Functions.Options;
using AutoCapture.Functions.Sources;
using Microsoft.Extensions.Options;

namespace AutoCapture.Tests.OnDemand;

/// <summary>The body of POST /api/captures: what a valid one becomes, and a message naming the field of every bad one.</summary>
public sealed class OnDemandRequestTests
{
    private static OnDemandRequest Parse(string json) => OnDemandRequest.Parse(Encoding.UTF8.GetBytes(json));

    private static string Refusal(string json) => Assert.Throws<AlertPayloadException>(() => Parse(json)).Message;

    [Fact]
    public void A_request_becomes_a_target_and_capture_specs_as_a_rule_would_give()
    {
        var request = Parse("""{ "collector": "http://10.0.0.5:7080/", "process": { "name": "checkout" }, "kinds": ["cpu:45s", "stacks", "counters"], "reason": "p99 up" }""");

        Assert.Equal(new CaptureTarget("http://10.0.0.5:7080", "10.0.0.5", new ProcessSelector(Runtimes.Dotnet, Name: "checkout")), request.Target);
        Assert.Equal([new CaptureSpec("cpu", 45), new CaptureSpec("stacks"), new CaptureSpec("counters", 5)], request.Specs);
        Assert.Equal("p99 up", request.Reason);
    }

    [Fact]
    public void Go_targets_by_address_and_pids_are_read_too()
    {
        var go = Parse("""{ "collector": "https://node-1:7443", "process": { "runtime": "go", "address": "http://10.0.0.9:6060" }, "kinds": ["goroutines"] }""");
        var pid = Parse("""{ "collector": "http://127.0.0.1:7080", "process": { "pid": 4242 }, "kinds": ["dump"] }""");

        Assert.Equal(new ProcessSelector(Runtimes.Go, Address: "http://10.0.0.9:6060"), go.Target.Process);
        Assert.Equal(new ProcessSelector(Runtimes.Dotnet, Pid: 4242), pid.Target.Process);
        Assert.Null(pid.Reason);
    }

    [Theory]
    [InlineData("[]", "body must be a JSON object, not an array")]
    [InlineData("{", "body is not valid JSON")]
    [InlineData("""{ "process": { "name": "a" }, "kinds": ["stacks"] }""", "collector is required")]
    [InlineData("""{ "collector": 7080, "process": { "name": "a" }, "kinds": ["stacks"] }""", "collector must be a string, not a number")]
    [InlineData("""{ "collector": "http://10.0.0.1:22#:7080", "process": { "name": "a" }, "kinds": ["stacks"] }""", "collector 'http://10.0.0.1:22#:7080' is not an http(s) address")]
    [InlineData("""{ "collector": "http://c:1", "kinds": ["stacks"] }""", "process is required")]
    [InlineData("""{ "collector": "http://c:1", "process": "checkout", "kinds": ["stacks"] }""", "process must be an object, not a string")]
    [InlineData("""{ "collector": "http://c:1", "process": { "name": "a", "pid": 1 }, "kinds": ["stacks"] }""", "process must set exactly one of pid, name, commandLine or address (found 2)")]
    [InlineData("""{ "collector": "http://c:1", "process": { "pid": "12" }, "kinds": ["stacks"] }""", "process.pid must be a positive whole number")]
    [InlineData("""{ "collector": "http://c:1", "process": { "pid": -3 }, "kinds": ["stacks"] }""", "process.pid must be a positive whole number")]
    [InlineData("""{ "collector": "http://c:1", "process": { "name": "" }, "kinds": ["stacks"] }""", "process.name must be 1 to 1024 characters on one line")]
    [InlineData("""{ "collector": "http://c:1", "process": { "name": "a", "user": "root" }, "kinds": ["stacks"] }""", "process.user: unknown field")]
    [InlineData("""{ "collector": "http://c:1", "process": { "runtime": "java", "name": "a" }, "kinds": ["stacks"] }""", "process.runtime: unknown runtime 'java'")]
    [InlineData("""{ "collector": "http://c:1", "process": { "address": "http://10.0.0.9:6060" }, "kinds": ["heap"] }""", "process.address is for runtime go")]
    [InlineData("""{ "collector": "http://c:1", "process": { "name": "a" } }""", "kinds must be a non-empty array")]
    [InlineData("""{ "collector": "http://c:1", "process": { "name": "a" }, "kinds": [] }""", "kinds must be a non-empty array")]
    [InlineData("""{ "collector": "http://c:1", "process": { "name": "a" }, "kinds": ["stacks", 3] }""", "kinds[1] must be a string such as \"cpu:30s\", not a number")]
    [InlineData("""{ "collector": "http://c:1", "process": { "name": "a" }, "kinds": ["cpu", "shell"] }""", "kinds[1]: unknown capture kind 'shell'")]
    [InlineData("""{ "collector": "http://c:1", "process": { "name": "a" }, "kinds": ["goroutines"] }""", "kinds[0]: kind 'goroutines' is not available for dotnet processes")]
    [InlineData("""{ "collector": "http://c:1", "process": { "name": "a" }, "kinds": ["cpu", "cpu:10s"] }""", "kinds[1]: kind 'cpu' is listed twice")]
    [InlineData("""{ "collector": "http://c:1", "process": { "name": "a" }, "kinds": ["stacks:30s"] }""", "kinds[0]: kind 'stacks' is a snapshot and takes no duration")]
    [InlineData("""{ "collector": "http://c:1", "process": { "name": "a" }, "kinds": ["cpu:11m"] }""", "kinds[0]: duration '11m' must be from 1 s to 10 min")]
    [InlineData("""{ "collector": "http://c:1", "process": { "name": "a" }, "kinds": ["cpu:500ms"] }""", "kinds[0]: duration '500ms' must be from 1 s to 10 min")]
    [InlineData("""{ "collector": "http://c:1", "process": { "name": "a" }, "kinds": ["cpu:soon"] }""", "kinds[0]: duration 'soon' must be from 1 s")]
    [InlineData("""{ "collector": "http://c:1", "process": { "name": "a" }, "kinds": ["stacks"], "reason": "a\nb" }""", "reason must be one line of at most 500 characters")]
    [InlineData("""{ "collector": "http://c:1", "process": { "name": "a" }, "kinds": ["stacks"], "rule": "x" }""", "rule: unknown field (known: collector, process, kinds, reason)")]
    public void Every_malformed_field_is_named(string json, string expected) =>
        Assert.StartsWith(expected, Refusal(json), StringComparison.Ordinal);

    [Fact]
    public void A_read_token_cannot_also_be_a_write_token_and_short_ones_are_refused_at_start()
    {
        var options = new AutoCaptureOptions();
        options.Collector.SigningKey = new string('k', 32);
        options.Links.SigningKey = new string('l', 32);
        options.Sources.Alertmanager.BearerToken = new string('b', 32);
        options.Api.ReadTokens = [new string('r', 32)];
        options.Api.WriteTokens = [new string('r', 32), "short"];
        options.Chat.Slack.SigningSecret = "tiny";

        var result = new AutoCaptureOptionsValidator().Validate(null, options);

        Assert.Contains("AutoCapture:Api:WriteTokens:0 is also one of AutoCapture:Api:ReadTokens; a write token must be a token of its own.", result.Failures!);
        Assert.Contains("AutoCapture:Api:WriteTokens:1 must be at least 16 characters.", result.Failures!);
        Assert.Contains("AutoCapture:Chat:Slack:SigningSecret must be at least 16 characters (Slack's are 32).", result.Failures!);
        Assert.DoesNotContain(result.Failures!, f => f.Contains(new string('r', 32), StringComparison.Ordinal));
    }

    [Fact]
    public void Describe_masks_write_tokens_and_the_signing_secret()
    {
        var options = new AutoCaptureOptions();
        options.Api.WriteTokens = ["write-token-0123456789"];
        options.Chat.Slack.SigningSecret = "signing-secret-0123456789";

        var described = string.Join("\n", options.Describe().Select(d => d.Value));

        Assert.Contains("1 write tokens (***)", described, StringComparison.Ordinal);
        Assert.Contains("Slack signing secret ***", described, StringComparison.Ordinal);
        Assert.DoesNotContain("0123456789", described, StringComparison.Ordinal);
    }
}
