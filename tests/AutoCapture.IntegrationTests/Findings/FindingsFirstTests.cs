using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using AutoCapture.Core.Captures;
using AutoCapture.IntegrationTests.Baselines;
using AutoCapture.IntegrationTests.Dotnet;
using AutoCapture.IntegrationTests.Go;
using AutoCapture.IntegrationTests.Support;
using Xunit.Abstractions;

namespace AutoCapture.IntegrationTests.Findings;

/// <summary>
/// Real targets with one planted pattern each, captured end to end (alert → collector → store → Slack): the first line
/// of the chat message names the planted application function, thread or type, not the library or runtime code beneath.
/// </summary>
[Collection(DotnetTargetsCollection.Name)]
public sealed class FindingsFirstTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TestEnvironment env = new();
    private readonly string tagPrefix = $"tag-findings-{Guid.NewGuid():N}"[..24];
    private FakeSlack slack = null!;
    private RunningApp collector = null!;

    public async Task InitializeAsync()
    {
        slack = await FakeSlack.StartAsync();
        collector = await env.StartCollectorAsync(new()
        {
            ["AutoCapture:Collector:AllowedProcesses:0:CommandLine"] = tagPrefix,
            ["AutoCapture:Collector:AllowedAddresses:0"] = "127.0.0.1",
        });
    }

    public async Task DisposeAsync()
    {
        await env.DisposeAsync();
        await slack.DisposeAsync();
    }

    [Fact]
    public async Task Go_own_function_hot_through_crypto_leads_with_the_own_function_and_names_the_library_leaf()
    {
        using var target = await GoTargetProcess.StartAsync("-digest");

        var (manifest, first) = await CaptureAsync($$"""{ runtime: go, address: "{{target.PprofAddress}}" }""", "[ { kind: cpu, duration: 2s } ]");

        Assert.Matches(@"^[0-9.]+% of CPU is in main\.plantedDigestScorer \(own code; hottest leaf inside it: crypto/(sha256|internal/fips140/sha256)\.", first);
        // Go profiles have no thread dimension: nothing says "0 threads".
        Assert.DoesNotContain("threads", SlackText(), StringComparison.Ordinal);
        Assert.True(manifest.Summary!.Cpu!.TopOwn![0].Percent >= 50, first);
    }

    [Fact]
    public async Task Go_own_function_hot_through_a_vendored_module_leads_with_the_own_function_not_the_module()
    {
        using var target = await GoTargetProcess.StartAsync("-vendored");

        var (manifest, first) = await CaptureAsync($$"""{ runtime: go, address: "{{target.PprofAddress}}" }""", "[ { kind: cpu, duration: 2s } ]");

        // The vendored module's name has a dot like an application's; its path under vendor/ says it is a dependency.
        Assert.Matches(@"^[0-9.]+% of CPU is in main\.plantedChecksumCaller \(own code; hottest leaf inside it: crypto/(sha256|internal/fips140/sha256)\.", first);
        Assert.Equal(["example.com/plantedlib"], manifest.Summary!.GoLibraries);
        Assert.DoesNotContain(manifest.Summary.Cpu!.TopOwn!, f => f.Frame.StartsWith("example.com/plantedlib.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Go_lock_contention_leads_with_the_own_function_from_the_mutex_profile()
    {
        using var target = await GoTargetProcess.StartAsync("-contention");

        var (_, first) = await CaptureAsync($$"""{ runtime: go, address: "{{target.PprofAddress}}" }""", "[ { kind: mutex }, { kind: block } ]");

        Assert.Matches(@"^goroutines waited for locks held in main\.plantedMutexContender for [0-9.]+ s in all \(own code, mutex profile", first);
        Assert.Contains("goroutines were blocked in main.plantedMutexContender", SlackText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dotnet_hot_method_leads_by_its_own_name()
    {
        var (_, first) = await CaptureDotnetAsync("cpu", "[ { kind: cpu, duration: 2s } ]");

        Assert.Matches(@"^[0-9.]+% of CPU is in AutoCapture\.TestTarget\.PlantedWork\.PlantedHotMethod \(own code\)$", first);
    }

    [Fact]
    public async Task Dotnet_idle_process_is_called_idle_and_the_capture_never_profiles_its_own_event_pipe()
    {
        var (manifest, first) = await CaptureDotnetAsync("idle", "[ { kind: cpu, duration: 2s } ]");

        Assert.Matches(@"^idle: [0-9,]+ on-CPU samples in [0-9.]+ s", first);
        Assert.DoesNotContain("System.Diagnostics.Tracing", SlackText(), StringComparison.Ordinal);
        Assert.DoesNotContain(manifest.Summary!.Cpu!.TopExclusive, f => f.Frame.Contains("Diagnostics.Tracing", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Dotnet_lock_convoy_leads_with_where_the_threads_queue_and_the_thread_holding_the_lock()
    {
        var (manifest, first) = await CaptureDotnetAsync("convoy", "[ { kind: cpu, duration: 3s } ]");

        Assert.Matches(@"^[1-6] threads are blocked entering a lock in AutoCapture\.TestTarget\.PlantedWork\.PlantedLedgerWrite; the lock is held by thread 0x[0-9a-f]+ in AutoCapture\.TestTarget\.PlantedWork\.PlantedLedgerCompaction for ≥ [0-9.]+ s$", first);
        var owner = manifest.Summary!.Cpu!.Locks![0].OwnerThreadId;
        Assert.Contains($"thread 0x{owner:x} in", first, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dotnet_stacks_of_a_lock_convoy_lead_with_where_the_threads_queue_and_the_thread_holding_the_lock()
    {
        var (manifest, first) = await CaptureDotnetAsync("convoy", "[ stacks ]");

        Assert.Matches(@"^[1-6] threads? waits? to enter a lock in AutoCapture\.TestTarget\.PlantedWork\.PlantedLedgerWrite; held by thread ([0-9]+) \(planted-ledger-\) in AutoCapture\.TestTarget\.PlantedWork\.PlantedLedgerCompaction$", first);
        // The holder named is the one thread whose snapshot stack is in the compaction, not a writer that passed the lock on.
        var stacks = manifest.Summary!.Stacks!;
        var compactor = Assert.Single(stacks.Threads, t => t.Frames.Any(f => f.Contains(".PlantedLedgerCompaction(", StringComparison.Ordinal)));
        Assert.Equal(compactor.ThreadId.ToString(CultureInfo.InvariantCulture), System.Text.RegularExpressions.Regex.Match(first, @"held by thread ([0-9]+)").Groups[1].Value);
        Assert.DoesNotContain(compactor.ThreadId, stacks.Locks!.Waiters);
    }

    [Fact]
    public async Task Dotnet_stacks_of_a_lock_held_throughout_say_the_holder_is_unknown_and_why()
    {
        var (manifest, first) = await CaptureDotnetAsync("lock", "[ stacks ]");

        Assert.Matches(@"^3 threads wait to enter a lock in AutoCapture\.TestTarget\.PlantedWork\.PlantedLockWaiter; no thread took or released it in [0-9.]+ s, so no event named its holder: a long hold or a deadlock; a dump capture shows the holder$", first);
        Assert.Empty(manifest.Summary!.Stacks!.Locks!.Holders);
        Assert.DoesNotContain("held by", SlackText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dotnet_heap_of_byte_arrays_leads_with_the_application_type_that_retains_them()
    {
        var (manifest, first) = await CaptureDotnetAsync("retained", "[ heap ]");

        Assert.Equal("System.Byte[]", manifest.Summary!.Heap!.Top[0].Name);
        Assert.Matches(@"^AutoCapture\.TestTarget\.PlantedInvoiceArchive retains [0-9.]+ MiB, [0-9.]+% of the heap \(20,000 objects → System\.Byte\[\]\)$", first);
    }

    [Fact]
    public async Task A_cpu_capture_records_what_was_asked_within_half_a_second_and_says_how_long_it_measured()
    {
        var (manifest, _) = await CaptureDotnetAsync("cpu", "[ { kind: cpu, duration: 3s } ]");

        var measured = manifest.Summary!.Cpu!.DurationSeconds;
        output.WriteLine($"asked 3 s, measured {measured} s");
        Assert.InRange(measured, 2.5, 3.5);
        Assert.Contains($"over {measured.ToString("0.#", CultureInfo.InvariantCulture)} s", SlackText(), StringComparison.Ordinal);
    }

    /// <summary>Starts the test target in <paramref name="mode"/> under a unique tag and captures it by that tag.</summary>
    private async Task<(CaptureManifest Manifest, string FirstLine)> CaptureDotnetAsync(string mode, string captures)
    {
        var tag = $"{tagPrefix}-{Guid.NewGuid():N}";
        using var target = await TestTargetProcess.StartAsync(mode, tag);
        return await CaptureAsync("""{ commandLine: "{{ labels.tag }}" }""", captures, ("tag", tag));
    }

    private async Task<(CaptureManifest Manifest, string FirstLine)> CaptureAsync(string process, string captures, params (string Key, string Value)[] labels)
    {
        var webhook = await env.StartWebhookAsync($$"""
            rules:
              - name: findings-first
                match: [ 'alertname = "FindingsFirst"' ]
                target:
                  collector: "{{collector.Url}}"
                  process: {{process}}
                chat: slack
                captures: {{captures}}
            """, BaselineKit.QuietHousekeeping(slack));
        var manifest = await env.WaitForOutcomeAsync(await BaselineKit.FireAsync(env, webhook, "FindingsFirst", labels), TimeSpan.FromSeconds(60));
        Assert.True(manifest.Status == CaptureStatus.Complete, manifest.Error);
        // The outcome counts once chat was told, so the message is in already.
        var message = Assert.Single(slack.Accepted);
        var first = WebUtility.HtmlDecode(message["blocks"]![0]!["text"]!["text"]!.GetValue<string>()).Trim('*');
        output.WriteLine(SlackText());
        Assert.StartsWith(first + " · ", WebUtility.HtmlDecode(message["text"]!.GetValue<string>()), StringComparison.Ordinal);
        return (manifest, first);
    }

    private string SlackText() => string.Join("\n", slack.Accepted.Select(m => WebUtility.HtmlDecode(m.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))));
}
