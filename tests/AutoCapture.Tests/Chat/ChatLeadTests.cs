using System.Text.Json.Nodes;
using AutoCapture.Core.Alerts;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.Core.Summaries;
using AutoCapture.Functions.Chat;
using AutoCapture.Functions.Endpoints;
using AutoCapture.Functions.Links;

namespace AutoCapture.Tests.Chat;

/// <summary>
/// Every channel opens with the top finding and carries the alert's summary and its links back, while the sender's
/// text stays text: markup is escaped per channel and only http(s) links survive.
/// </summary>
public sealed class ChatLeadTests : IDisposable
{
    private const string Lead = "58% of CPU is in main.gradeBasket (own code; hottest leaf inside it: crypto/sha256.block)";
    private const string HostileSummary = "<!channel> *now* [open me](https://evil.example/x) <script>";
    private readonly string storeDirectory = Directory.CreateTempSubdirectory("autocapture-lead-").FullName;

    public void Dispose() => Directory.Delete(storeDirectory, recursive: true);

    private PublicUrls Urls => TestUrls.For(storeDirectory);

    private static CaptureManifest Manifest(string? generatorUrl, Dictionary<string, string> annotations) => new()
    {
        Id = "20261121-0123456789abcdef",
        Status = CaptureStatus.Complete,
        Alert = new Alert("grafana", "BasketSlow", AlertStatus.Firing, new Dictionary<string, string>(), annotations, DateTimeOffset.UnixEpoch, null, "fp", "fp@0", generatorUrl),
        Rule = "r",
        Target = new CaptureTarget("http://c:7080", "web-3", new ProcessSelector(Runtimes.Go, Address: "http://10.1.2.3:6060")),
        Captures = [new CaptureSpec(CaptureKinds.Cpu, 5)],
        CreatedAt = DateTimeOffset.UnixEpoch,
        Summary = new CaptureSummary
        {
            Cpu = new CpuProfileSummary(5, 500, 0, [new FrameStat("crypto/sha256.block", 400, 80), new FrameStat("runtime.memmove", 10, 2)], [new FrameStat("main.main", 500, 100)])
            {
                TopOwn = [new OwnFrameStat("main.gradeBasket", 290, 58, "crypto/sha256.block", 50)],
                OnCpuSeconds = 5,
            },
        },
    };

    [Fact]
    public void Slack_teams_webhook_and_console_open_with_the_top_finding()
    {
        var message = ChatMessage.For(Manifest("https://grafana.example/alerting/grafana/abc/view", new() { ["summary"] = "basket p99 over 2 s" }), Urls);

        Assert.Equal(Lead, message.Lead);
        var slack = SlackBlocks.Payload(message);
        Assert.Equal($"*{Lead}*", (string?)slack["blocks"]![0]!["text"]!["text"]);
        Assert.StartsWith(Lead, (string?)slack["text"], StringComparison.Ordinal);
        var teams = TeamsWorkflowNotifier.Payload(message)["attachments"]![0]!["content"]!["body"]!.AsArray();
        Assert.Equal(TeamsWorkflowNotifier.Escape(Lead), (string?)teams[0]!["text"]);
        Assert.Equal(Lead, ((string?)WebhookNotifier.Payload(message)["text"])!.Split('\n')[0]);
        Assert.Equal(Lead, (string?)WebhookNotifier.Payload(message)["finding"]);
        Assert.Equal($"│ {Lead}", ConsoleChatNotifier.Render(message).Split('\n')[1]);
        Assert.Contains(("Summary", "basket p99 over 2 s"), message.Fields);
        Assert.Equal(new ChatLink("Alert rule in Grafana", "https://grafana.example/alerting/grafana/abc/view"), message.Links[1]);
    }

    [Fact]
    public void An_alertmanager_alert_links_back_to_itself_in_the_alertmanager_that_sent_it_with_its_labels_as_text()
    {
        var labels = new Dictionary<string, string> { ["alertname"] = "BasketSlow", ["pod"] = "web-3\"}&x=<b>" };
        var manifest = Manifest(null, []) with
        {
            Alert = new Alert("alertmanager", "BasketSlow", AlertStatus.Firing, labels, new Dictionary<string, string>(), DateTimeOffset.UnixEpoch, null, "fp", "fp@0", SenderUrl: "https://am.example/"),
        };

        var link = Assert.Single(ChatMessage.For(manifest, Urls).Links, l => l.Text == "Alert in Alertmanager");

        Assert.StartsWith("https://am.example/#/alerts?filter=", link.Url, StringComparison.Ordinal);
        var filter = Uri.UnescapeDataString(link.Url["https://am.example/#/alerts?filter=".Length..]);
        Assert.Equal("{alertname=\"BasketSlow\",pod=\"web-3\\\"}&x=<b>\"}", filter);
        Assert.DoesNotContain("<b>", link.Url, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("javascript:alert(1)", 0)]
    [InlineData("https://am.example", 1)]
    public void The_alertmanager_link_needs_an_http_external_url_and_falls_back_to_the_alert_name_when_the_labels_are_too_long(string externalUrl, int links)
    {
        var labels = new Dictionary<string, string> { ["alertname"] = "BasketSlow", ["huge"] = new string('x', AlertContext.MaxUrlLength) };
        var manifest = Manifest(null, []) with
        {
            Alert = new Alert("alertmanager", "BasketSlow", AlertStatus.Firing, labels, new Dictionary<string, string>(), DateTimeOffset.UnixEpoch, null, "fp", "fp@0", SenderUrl: externalUrl),
        };

        var found = ChatMessage.For(manifest, Urls).Links.Where(l => l.Text == "Alert in Alertmanager").ToList();

        Assert.Equal(links, found.Count);
        Assert.All(found, l => Assert.Equal($"https://am.example/#/alerts?filter={Uri.EscapeDataString("{alertname=\"BasketSlow\"}")}", l.Url));
    }

    [Theory]
    [InlineData("javascript:alert(1)")]
    [InlineData("data:text/html,<b>x</b>")]
    [InlineData("/relative/path")]
    [InlineData("https://ok.example/a b")]
    [InlineData("file:///etc/passwd")]
    public void Only_absolute_http_links_are_kept_and_the_senders_words_stay_text(string hostile)
    {
        var manifest = Manifest(hostile, new() { ["summary"] = HostileSummary, ["panelURL"] = hostile, ["runbook_url"] = "https://runbooks.example/basket" });

        var message = ChatMessage.For(manifest, Urls);

        Assert.DoesNotContain(message.Links, l => l.Url.Contains(hostile, StringComparison.Ordinal));
        Assert.Contains(new ChatLink("Runbook", "https://runbooks.example/basket"), message.Links);
        // Unescaped JSON, to read the text as Slack receives it.
        var slack = SlackBlocks.Payload(message).ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        Assert.Contains("&lt;!channel&gt; *now* [open me](https://evil.example/x) &lt;script&gt;", slack, StringComparison.Ordinal);
        Assert.DoesNotContain("<!channel>", slack, StringComparison.Ordinal);
        var teams = TeamsWorkflowNotifier.Payload(message)["attachments"]![0]!["content"]!["body"]!.AsArray()
            .Select(b => b!["facts"]).OfType<JsonArray>().Single().Select(f => (string?)f!["value"]);
        Assert.Contains(@"\<\!channel\> \*now\* \[open me\]\(https://evil.example/x\) \<script\>", teams);
        var page = CapturePage.Render(manifest, Urls);
        Assert.Contains("&lt;!channel&gt; *now* [open me](https://evil.example/x) &lt;script&gt;", page, StringComparison.Ordinal);
        Assert.DoesNotContain(hostile.Replace("&", "&amp;", StringComparison.Ordinal), page, StringComparison.Ordinal);
    }

    [Fact]
    public void The_page_leads_with_the_findings_and_opens_the_flame_graph_in_left_heavy()
    {
        var manifest = Manifest(null, new() { ["summary"] = "basket p99 over 2 s" }) with
        {
            Artifacts = [new ArtifactInfo("cpu.pb.gz", CaptureKinds.Cpu, "application/octet-stream", 2048, new string('a', 64))],
        };

        var page = CapturePage.Render(manifest, Urls);

        var findings = page.IndexOf("<section id=\"findings\">", StringComparison.Ordinal);
        Assert.InRange(findings, 0, page.IndexOf("<h2>Capture</h2>", StringComparison.Ordinal));
        Assert.Contains($"<p class=\"finding\">{System.Text.Encodings.Web.HtmlEncoder.Default.Encode(Lead)}</p>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("Highlights", page, StringComparison.Ordinal);
        Assert.DoesNotContain("✅", page, StringComparison.Ordinal);
        if (FlameGraphViewer.IsInstalled)
        {
            Assert.Contains("&amp;view=left-heavy", page, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_page_folds_rows_under_half_a_percent_into_other_and_names_what_retains_the_heap()
    {
        var manifest = Manifest(null, []) with
        {
            Target = new CaptureTarget("http://c:7080", "web-3", new ProcessSelector(Name: "billing")),
            Summary = new CaptureSummary
            {
                Heap = new HeapSummary("type", 1000, 30, [new HeapEntry("System.Byte[]", 900, 10, 90), new HeapEntry("Billing.Ledger", 96, 10, 9.6), new HeapEntry("System.String", 4, 10, 0.4)])
                {
                    RetainedBy = [new RetainedStat("Billing.Ledger", 996, 10, 99.6, "System.Byte[]")],
                },
            },
        };

        var page = CapturePage.Render(manifest, Urls);

        Assert.DoesNotContain("System.String", page, StringComparison.Ordinal);
        Assert.Contains("<td class=\"num\">0.4</td><td class=\"num\">4 B</td><td class=\"num\">-</td><td class=\"frame\">other</td>", page, StringComparison.Ordinal);
        Assert.Contains($"<p class=\"finding\">{System.Text.Encodings.Web.HtmlEncoder.Default.Encode("Billing.Ledger retains 996 B, 99.6% of the heap (10 objects → System.Byte[])")}</p>", page, StringComparison.Ordinal);
        Assert.Contains("<table id=\"heap-retained\">", page, StringComparison.Ordinal);
    }
}
