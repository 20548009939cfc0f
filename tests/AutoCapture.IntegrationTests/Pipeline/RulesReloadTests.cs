using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using AutoCapture.Functions.Hosting;
using AutoCapture.Functions.Rules;
using AutoCapture.IntegrationTests.Support;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AutoCapture.IntegrationTests.Pipeline;

/// <summary>
/// Rules kept in a blob (Azurite): two webhook app instances read them at start, poll the blob's ETag on a hand-moved
/// clock, take a changed file, keep the old rules when a new file is invalid — posting one chat notice between them
/// with the problem's line — and take the fixed file after.
/// </summary>
[Collection(Azurite.CollectionName)]
public sealed class RulesReloadTests(Azurite azurite) : IAsyncLifetime
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(30);
    private readonly TestEnvironment _env = new();
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private BlobClient _blob = null!;
    private FakeSlack _slack = null!;

    public async Task InitializeAsync()
    {
        var container = new BlobServiceClient(azurite.ConnectionString, new BlobClientOptions(BlobClientOptions.ServiceVersion.V2025_11_05))
            .GetBlobContainerClient(Azurite.NewContainerName());
        await container.CreateAsync();
        _blob = container.GetBlobClient("config/rules.yaml");
        _slack = await FakeSlack.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _env.DisposeAsync();
        await _slack.DisposeAsync();
    }

    private static string Rule(string name) =>
        $$"""
        rules:
          - name: {{name}}
            match: [ 'alertname = "{{name}}"' ]
            target:
              collector: "http://127.0.0.1:9"
              process: { name: "app" }
            chat: console
            captures: [ stacks ]
        """;

    private static readonly JsonSerializerOptions Unescaped = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Text(JsonObject message) => message.ToJsonString(Unescaped);

    private Task UploadAsync(string yaml) => _blob.UploadAsync(BinaryData.FromString(yaml), overwrite: true);

    private Dictionary<string, string?> Settings() => new()
    {
        ["AutoCapture:Rules:BlobUri"] = _blob.Uri.ToString(),
        ["AutoCapture:Rules:ConnectionString"] = azurite.ConnectionString,
        ["AutoCapture:Rules:PollInterval"] = Poll.ToString(),
        ["AutoCapture:Chat:Slack:WebhookUrl"] = _slack.WebhookUrl,
        ["AutoCapture:Chat:Default"] = "slack",
    };

    private Task<RunningApp> StartAsync() =>
        _env.StartWebhookAsync("rules: []", Settings(), b => b.Services.AddSingleton<TimeProvider>(_clock));

    /// <summary>Moves the clock one poll interval and waits for every instance's check to finish.</summary>
    private async Task PollAsync(params RunningApp[] apps)
    {
        _clock.Advance(Poll);
        foreach (var app in apps)
        {
            await app.App.Services.GetRequiredService<RulesReloader>().LastCheck;
        }
    }

    private async Task<string?> RuleForAsync(RunningApp app, string alertname)
    {
        using var response = await _env.PostAlertAsync(app.Url, Alerts.Payload(Alerts.Firing(alertname, ("instance", $"{alertname}-{Guid.NewGuid():N}"))));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var alert = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("alerts")[0];
        return alert.GetProperty("captures").GetArrayLength() == 0 ? null : alert.GetProperty("captures")[0].GetProperty("rule").GetString();
    }

    [Fact]
    public async Task A_changed_blob_is_taken_an_invalid_one_keeps_the_old_rules_with_one_notice_and_a_fix_is_taken()
    {
        await UploadAsync(Rule("first"));
        var one = await StartAsync();
        var two = await StartAsync();
        Assert.Equal("first", await RuleForAsync(one, "first"));
        Assert.Null(await RuleForAsync(one, "second"));

        await UploadAsync(Rule("second"));
        await PollAsync(one, two);
        Assert.Equal("second", await RuleForAsync(one, "second"));
        Assert.Equal("second", await RuleForAsync(two, "second"));
        Assert.Null(await RuleForAsync(two, "first"));

        // Line 4 names a key rules do not have.
        await UploadAsync(Rule("third").Replace("    target:", "    targte:", StringComparison.Ordinal));
        await PollAsync(one, two);
        await PollAsync(one, two);
        Assert.Equal("second", await RuleForAsync(one, "second"));
        Assert.Equal("second", await RuleForAsync(two, "second"));
        var notice = Text(Assert.Single(_slack.Accepted));
        Assert.Contains($"{_blob.Uri}:4:", notice, StringComparison.Ordinal);
        Assert.Contains("targte", notice, StringComparison.Ordinal);

        await UploadAsync(Rule("third"));
        await PollAsync(one, two);
        Assert.Equal("third", await RuleForAsync(one, "third"));
        Assert.Equal("third", await RuleForAsync(two, "third"));
        Assert.Single(_slack.Accepted);
    }

    [Fact]
    public async Task A_new_file_that_does_not_fit_the_settings_is_refused_like_an_invalid_one()
    {
        await UploadAsync(Rule("first"));
        var app = await StartAsync();

        await UploadAsync(Rule("second").Replace("chat: console", "chat: nowhere", StringComparison.Ordinal));
        await PollAsync(app);

        Assert.Equal("first", await RuleForAsync(app, "first"));
        Assert.Contains("chat channel 'nowhere', which is not configured", Text(Assert.Single(_slack.Accepted)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_new_file_with_many_problems_is_refused_with_all_of_them_kept_and_the_first_ten_in_chat()
    {
        await UploadAsync(Rule("first"));
        var app = await StartAsync();

        // Twelve rules, each with a matcher written with ==: twelve problems, one per rule.
        var rules = "rules:\n" + string.Concat(Enumerable.Range(0, 12).Select(i => Rule($"r{i}").Replace("rules:\n", string.Empty, StringComparison.Ordinal).Replace("alertname = ", "alertname == ", StringComparison.Ordinal) + "\n"));
        await UploadAsync(rules);
        await PollAsync(app);

        Assert.Equal("first", await RuleForAsync(app, "first"));
        var notice = Text(Assert.Single(_slack.Accepted));
        Assert.Contains($"{_blob.Uri}:3:", notice, StringComparison.Ordinal);
        Assert.Contains("rules[9].match[0]", notice, StringComparison.Ordinal);
        Assert.DoesNotContain("rules[10].match[0]", notice, StringComparison.Ordinal);
        Assert.Contains("… and 2 more (all of them are in the log)", notice, StringComparison.Ordinal);
        Assert.Contains("use = for equality", notice, StringComparison.Ordinal);
        var kept = File.ReadAllText(Assert.Single(Directory.GetFiles(Path.Combine(_env.StorePath, RulesReloader.NoticePrefix))));
        Assert.Equal(12, kept.Split(Environment.NewLine).Length);
        Assert.Contains("rules[11].match[0]", kept, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_blob_at_start_stops_start_up_with_its_line()
    {
        await UploadAsync(Rule("first").Replace("    captures:", "    captrues:", StringComparison.Ordinal));

        var refused = Assert.Throws<RulesFileException>(() => WebhookApp.Create(["--urls", "http://127.0.0.1:0"], b => b.Configuration.AddInMemoryCollection(Settings())));

        Assert.Contains($"{_blob.Uri}:8:", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_blob_at_start_stops_start_up_saying_it_cannot_be_read()
    {
        var refused = Assert.Throws<RulesFileException>(() => WebhookApp.Create(["--urls", "http://127.0.0.1:0"], b => b.Configuration.AddInMemoryCollection(Settings())));

        Assert.Contains("cannot read the rules blob: 404 BlobNotFound", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(azurite.ConnectionString, refused.Message, StringComparison.Ordinal);
    }
}
