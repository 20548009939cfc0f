using System.Text.Json;
using AutoCapture.Functions.Admission;
using AutoCapture.Functions.Endpoints;
using AutoCapture.Functions.Pipeline;
using Microsoft.Extensions.DependencyInjection;

namespace AutoCapture.Tests.Admission;

/// <summary>
/// A body whose every capture was answered from memory (duplicates, remembered skips) is answered again without being
/// decided; anything whose answer could differ on a repeat — a start, a skip that has ended, another source, a wrong
/// content type, a later time — is decided as usual.
/// </summary>
public sealed class RepeatAnswersTests : IAsyncLifetime
{
    private const string Token = "repeat-answers-token-0123456789";

    private const string Rules = """
        rules:
          - name: latency
            match: ['alertname = "Latency"']
            stormTargets: 1
            target:
              collector: "http://127.0.0.1:7080"
              host: "{{ labels.pod }}"
              process: { name: "{{ labels.service }}" }
            captures: [stacks]
        """;

    private readonly AdmissionKit _kit = new(Rules);
    private AdmissionKit.Instance _instance = null!;

    public Task InitializeAsync()
    {
        _instance = _kit.NewInstance(settings: new() { ["AutoCapture:Sources:Alertmanager:BearerToken"] = Token });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _kit.DisposeAsync();

    private byte[] Body(params string[] services) => JsonSerializer.SerializeToUtf8Bytes(new
    {
        version = "4",
        groupKey = "{}:{alertname=\"Latency\"}",
        status = "firing",
        receiver = "autocapture",
        alerts = services.Select(service => new
        {
            status = "firing",
            labels = new Dictionary<string, string> { ["alertname"] = "Latency", ["service"] = service, ["pod"] = $"{service}-0" },
            annotations = new Dictionary<string, string>(),
            startsAt = (_kit.Clock.GetUtcNow() - TimeSpan.FromMinutes(1)).ToString("O"),
            endsAt = "0001-01-01T00:00:00Z",
            fingerprint = $"fp-{service}",
        }),
    });

    private async Task<(int Status, WebhookAnswer? Answer, WebhookContext Context)> DeliverAsync(byte[] body, string source = "alertmanager", string contentType = "application/json")
    {
        var context = new WebhookContext(
            source,
            name => name == "Authorization" ? $"Bearer {Token}" : null,
            _ => null,
            contentType,
            _ => Task.FromResult<ReadOnlyMemory<byte>>(body),
            _kit.Clock.GetUtcNow());
        try
        {
            await _instance.Services.GetRequiredService<WebhookPipeline>().RunAsync(context, CancellationToken.None);
            return (202, WebhookAnswer.From(context), context);
        }
        catch (WebhookRejectedException e)
        {
            return (e.StatusCode, null, context);
        }
    }

    private static IEnumerable<string> Results(WebhookAnswer answer) => answer.Alerts.SelectMany(a => a.Captures).Select(c => c.Result);

    [Fact]
    public async Task A_body_answered_with_duplicates_gets_the_same_answer_again_without_being_decided()
    {
        var body = Body("checkout");
        var first = await DeliverAsync(body);
        var second = await DeliverAsync(body);
        var third = await DeliverAsync(body);

        Assert.Equal(["started"], Results(first.Answer!));
        Assert.Equal(["duplicate"], Results(second.Answer!));
        // Answered from memory: nothing parsed, so nothing routed or admitted.
        Assert.Empty(third.Context.Alerts);
        Assert.Empty(third.Context.Captures);
        Assert.Same(second.Context.AnswerJson, third.Context.AnswerJson);
    }

    [Fact]
    public async Task A_remembered_skip_is_answered_from_memory_until_its_limit_frees_then_decided_again()
    {
        // A storm-sampled skip: never told, so never recorded, and remembered only until the storm window ends.
        await DeliverAsync(Body("first"));
        var body = Body("second");
        var skipped = await DeliverAsync(body);
        var fromKnownSkips = await DeliverAsync(body);
        var fromMemory = await DeliverAsync(body);
        _kit.Clock.Advance(TimeSpan.FromHours(1));
        var repeat = await DeliverAsync(body);

        Assert.Equal(["skipped"], Results(skipped.Answer!));
        Assert.Equal(["skipped"], Results(fromKnownSkips.Answer!));
        Assert.NotEmpty(fromKnownSkips.Context.Alerts);
        Assert.Empty(fromMemory.Context.Alerts);
        Assert.Same(fromKnownSkips.Context.AnswerJson, fromMemory.Context.AnswerJson);
        Assert.Equal(["started"], Results(repeat.Answer!));
    }

    [Fact]
    public async Task The_memory_ends_after_its_lifetime_and_the_delivery_is_decided_again()
    {
        var body = Body("checkout");
        await DeliverAsync(body);
        await DeliverAsync(body);
        _kit.Clock.Advance(RepeatAnswers.Lifetime);
        var later = await DeliverAsync(body);

        Assert.NotEmpty(later.Context.Alerts);
        Assert.Equal(["duplicate"], Results(later.Answer!));
    }

    [Fact]
    public async Task The_same_body_to_another_source_or_with_another_content_type_is_not_answered_from_memory()
    {
        var body = Body("checkout");
        await DeliverAsync(body);
        await DeliverAsync(body);

        var asText = await DeliverAsync(body, contentType: "text/plain");
        var unknown = await DeliverAsync(body, source: "nagios");

        Assert.Equal(415, asText.Status);
        Assert.Equal(404, unknown.Status);
    }
}
