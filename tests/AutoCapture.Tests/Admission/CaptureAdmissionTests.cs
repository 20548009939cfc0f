using AutoCapture.Core.Alerts;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Storage;
using AutoCapture.Functions.Admission;
using AutoCapture.Functions.Limits;

namespace AutoCapture.Tests.Admission;

/// <summary>
/// Admission with the app's own services over a real store folder and a manual clock: the order of the limits, storm
/// sampling, budget window edges, cooldown keys, a compare-and-swap conflict, and a delivery cut off at every store
/// operation in turn.
/// </summary>
public sealed class CaptureAdmissionTests : IAsyncLifetime
{
    private const string Rules = """
        rules:
          - name: latency
            match: ['alertname = "Latency"']
            budget: 4
            budgetWindow: 1h
            stormTargets: 3
            target:
              collector: "http://127.0.0.1:7080"
              host: "{{ labels.pod }}"
              process: { name: "{{ labels.service }}" }
            captures: [stacks, { kind: cpu, duration: 2s }]
        """;

    private readonly AdmissionKit _kit = new(Rules);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _kit.DisposeAsync();

    private DateTimeOffset Now => _kit.Clock.GetUtcNow();

    private Alert Latency(string service, string group = "g1", string pod = "pod-a", TimeSpan? startedAgo = null) =>
        AdmissionKit.Firing("Latency", Now - (startedAgo ?? TimeSpan.FromMinutes(1)), group, ("service", service), ("pod", pod));

    private int Manifests(CaptureStatus? status = null) => Manifests(_kit.StorePath, status);

    private static int Manifests(string store, CaptureStatus? status = null) =>
        Directory.Exists(Path.Combine(store, "captures"))
            ? Directory.GetFiles(Path.Combine(store, "captures"), "manifest.json", SearchOption.AllDirectories)
                .Count(f => status is null || File.ReadAllText(f).Contains($"\"status\": \"{status.ToString()!.ToLowerInvariant()}\"", StringComparison.Ordinal))
            : 0;

    [Fact]
    public async Task Storm_sampling_lets_in_the_first_targets_of_a_group_and_writes_nothing_for_the_rest()
    {
        var captures = await _kit.NewInstance().DeliverAsync(Enumerable.Range(0, 10).Select(i => Latency($"svc-{i}")));

        Assert.Equal(3, captures.Count(c => c.Decision == CaptureDecision.Started));
        Assert.Equal(["svc-0", "svc-1", "svc-2"], captures.Where(c => c.Decision == CaptureDecision.Started).Select(c => c.Target.Process.Name));
        var sampled = captures.Where(c => c.Decision == CaptureDecision.Skipped).ToList();
        Assert.Equal(7, sampled.Count);
        Assert.All(sampled, c => Assert.Equal(SkipCause.Storm, c.SkippedBy));
        Assert.StartsWith("storm: rule latency already captures 3 targets of this alert group", sampled[0].Reason, StringComparison.Ordinal);
        Assert.Equal(3, Manifests());
        Assert.Equal(3, await new OpenCaptures(_kit.Folder).ListAsync(CancellationToken.None).CountAsync());
    }

    [Fact]
    public async Task Store_operations_grow_with_captures_started_not_with_alerts_received()
    {
        var small = new StepStore(new FolderStore(Path.Combine(_kit.Root, "small")));
        var large = new StepStore(new FolderStore(Path.Combine(_kit.Root, "large")));

        var few = await _kit.NewInstance(_ => small).DeliverAsync(Enumerable.Range(0, 10).Select(i => Latency($"svc-{i}")));
        var many = await _kit.NewInstance(_ => large).DeliverAsync(Enumerable.Range(0, 300).Select(i => Latency($"svc-{i}")));

        Assert.Equal(3, few.Count(c => c.Decision == CaptureDecision.Started));
        Assert.Equal(3, many.Count(c => c.Decision == CaptureDecision.Started));
        Assert.Equal(small.Operations, large.Operations);
        // Three shared limit documents and two cooldowns per target: a read, a reservation and a commit each; then
        // per started capture an existence check, its open mark and its manifest.
        Assert.Equal((3 + 3 * 2) * 3 + 3 * 3, large.Operations);
    }

    [Fact]
    public async Task Cooldown_comes_first_so_a_cooled_target_takes_no_storm_slot()
    {
        var instance = _kit.NewInstance();
        await instance.DeliverAsync([Latency("svc-0", group: "other")]);
        _kit.Clock.Advance(TimeSpan.FromMinutes(1));

        var captures = await instance.DeliverAsync(Enumerable.Range(0, 5).Select(i => Latency($"svc-{i}", startedAgo: TimeSpan.FromSeconds(10))));

        Assert.Equal(SkipCause.Cooldown, captures[0].SkippedBy);
        Assert.Contains("stacks skipped: cooldown on name=svc-0", captures[0].Reason, StringComparison.Ordinal);
        Assert.Equal(["svc-1", "svc-2", "svc-3"], captures.Where(c => c.Decision == CaptureDecision.Started).Select(c => c.Target.Process.Name));
        Assert.Equal(SkipCause.Storm, captures[4].SkippedBy);
        // The rule's first cooldown skip is told in chat, so it is written for the message to link to; storm skips never are.
        var told = (await new ManifestStore(_kit.Folder).ReadAsync(captures[0].CaptureId, CancellationToken.None))!;
        Assert.Equal(CaptureStatus.Skipped, told.Status);
        Assert.False(told.Quiet);
        Assert.Null(await new ManifestStore(_kit.Folder).ReadAsync(captures[4].CaptureId, CancellationToken.None));
    }

    [Fact]
    public async Task A_label_that_only_names_the_target_does_not_make_it_a_new_target()
    {
        var instance = _kit.NewInstance();
        var first = await instance.DeliverAsync([Latency("checkout", pod: "shown-as-a")]);
        var renamed = await instance.DeliverAsync([Latency("checkout", pod: "shown-as-b", startedAgo: TimeSpan.FromSeconds(30))]);
        var otherProcess = await instance.DeliverAsync([Latency("payments", pod: "shown-as-b", startedAgo: TimeSpan.FromSeconds(20))]);

        Assert.Equal(CaptureDecision.Started, first[0].Decision);
        Assert.Equal(SkipCause.Cooldown, renamed[0].SkippedBy);
        Assert.Equal(CaptureDecision.Started, otherProcess[0].Decision);
    }

    [Fact]
    public async Task The_budget_refuses_inside_its_sliding_window_and_admits_again_once_it_has_passed()
    {
        var instance = _kit.NewInstance();
        // Every alert its own group, so storm sampling stays out of the way.
        var first = await instance.DeliverAsync(Enumerable.Range(0, 4).Select(i => Latency($"svc-{i}", group: $"g{i}")));
        _kit.Clock.Advance(TimeSpan.FromMinutes(59));
        var within = await instance.DeliverAsync([Latency("svc-4", group: "g4")]);
        _kit.Clock.Advance(TimeSpan.FromMinutes(1));
        var after = await instance.DeliverAsync([Latency("svc-5", group: "g5")]);

        Assert.All(first, c => Assert.Equal(CaptureDecision.Started, c.Decision));
        Assert.Equal(SkipCause.Budget, within[0].SkippedBy);
        Assert.StartsWith("budget exhausted: rule latency allows 4 captures per 01:00:00; next allowed at 2026-12-05 13:00:00Z", within[0].Reason, StringComparison.Ordinal);
        Assert.Equal(CaptureDecision.Started, after[0].Decision);
    }

    [Fact]
    public async Task Chat_hears_of_budget_skips_once_per_interval_and_the_skips_between_read_no_notice()
    {
        var store = new StepStore(new FolderStore(_kit.StorePath));
        var instance = _kit.NewInstance(_ => store);
        await instance.DeliverAsync(Enumerable.Range(0, 4).Select(i => Latency($"svc-{i}", group: $"g{i}")));
        var notices = () => store.Reads.Count(key => key.StartsWith($"{CaptureLimits.Prefix}notices/", StringComparison.Ordinal));

        var told = await instance.DeliverAsync([Latency("svc-4", group: "g4")]);
        var readsWhenTold = notices();
        _kit.Clock.Advance(TimeSpan.FromMinutes(9));
        var untold = await instance.DeliverAsync([Latency("svc-5", group: "g5")]);
        var readsBetween = notices() - readsWhenTold;
        _kit.Clock.Advance(TimeSpan.FromMinutes(1));
        var toldAgain = await instance.DeliverAsync([Latency("svc-6", group: "g6")]);

        Assert.All(told.Concat(untold).Concat(toldAgain), c => Assert.Equal(SkipCause.Budget, c.SkippedBy));
        Assert.Equal(1, readsWhenTold);
        Assert.Equal(0, readsBetween);
        Assert.Equal(2, Manifests(CaptureStatus.Skipped));
    }

    [Fact]
    public async Task Repeats_are_duplicates_on_any_instance_and_cost_the_instance_that_saw_them_nothing()
    {
        var store = new StepStore(new FolderStore(_kit.StorePath));
        var seen = _kit.NewInstance(_ => store);
        var other = _kit.NewInstance();
        var alert = Latency("checkout");
        var started = await seen.DeliverAsync([alert]);
        var operations = store.Operations;

        var repeat = await seen.DeliverAsync([alert, alert]);
        var elsewhere = await other.DeliverAsync([alert]);

        Assert.Equal(CaptureDecision.Started, started[0].Decision);
        Assert.All(repeat, c => Assert.Equal(CaptureDecision.Duplicate, c.Decision));
        Assert.Equal(operations, store.Operations);
        Assert.Equal(CaptureDecision.Duplicate, elsewhere[0].Decision);
        Assert.Equal($"duplicate of capture {started[0].CaptureId}", elsewhere[0].Reason);
    }

    [Fact]
    public async Task A_skip_is_answered_again_from_memory_until_the_reservation_that_refused_it_expires()
    {
        var store = new StepStore(new FolderStore(_kit.StorePath));
        var instance = _kit.NewInstance(_ => store);
        var alerts = Enumerable.Range(0, 10).Select(i => Latency($"svc-{i}")).ToList();
        await instance.DeliverAsync(alerts);
        var operations = store.Operations;

        var repeat = await instance.DeliverAsync(alerts);
        Assert.Equal(operations, store.Operations);
        Assert.Equal(7, repeat.Count(c => c.SkippedBy == SkipCause.Storm));
        Assert.Equal(3, repeat.Count(c => c.Decision == CaptureDecision.Duplicate));

        // The storm window (1 h) is over: the store decides again, and lets the next targets in.
        _kit.Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        var later = await instance.DeliverAsync(alerts);
        Assert.True(store.Operations > operations);
        Assert.Equal(3, later.Count(c => c.Decision == CaptureDecision.Started));
    }

    [Fact]
    public async Task A_document_changed_by_another_instance_between_read_and_write_makes_the_decision_start_over()
    {
        // Budget 4: this instance takes three, then — between its read of the budget and its write — another instance
        // takes the last slot. The re-decision must refuse one of ours rather than write a fifth.
        var racing = new StepStore(new FolderStore(_kit.StorePath));
        var instance = _kit.NewInstance(_ => racing);
        var rival = _kit.NewInstance();
        List<Functions.Admission.PlannedCapture> rivals = [];
        racing.BeforeFirstWrite = ("budget/" + BudgetFile(), async () => rivals = await rival.DeliverAsync([Latency("rival", group: "rival")]));

        var ours = await instance.DeliverAsync(Enumerable.Range(0, 2).Select(i => Latency($"svc-{i}", group: $"g{i}")).Concat([Latency("svc-2", group: "g2"), Latency("svc-3", group: "g3")]));

        Assert.Equal(CaptureDecision.Started, Assert.Single(rivals).Decision);
        Assert.Equal(3, ours.Count(c => c.Decision == CaptureDecision.Started));
        Assert.Equal(SkipCause.Budget, Assert.Single(ours, c => c.Decision == CaptureDecision.Skipped).SkippedBy);
        Assert.Equal(4, Manifests(CaptureStatus.Pending));
    }

    [Fact]
    public async Task Concurrent_deliveries_to_one_instance_take_turns_writing_the_limits_and_lose_no_compare_and_swap()
    {
        // Twelve deliveries at once, each a new group with one target: every one fits, and every one writes the same
        // in-flight document. Within one instance they take turns, so no write is refused and none decides twice.
        var store = new StepStore(new FolderStore(_kit.StorePath));
        var instance = _kit.NewInstance(_ => store);
        var budgetRoomy = Enumerable.Range(0, 12).Select(i => Latency($"svc-{i}", group: $"g{i}")).ToList();

        var answers = await Task.WhenAll(budgetRoomy.Select(alert => Task.Run(() => instance.DeliverAsync([alert]))));

        Assert.Equal(4, answers.Count(a => a.Single().Decision == CaptureDecision.Started));
        Assert.All(answers.Where(a => a.Single().Decision != CaptureDecision.Started), a => Assert.Equal(SkipCause.Budget, a.Single().SkippedBy));
        // Chat notices of the skips are their own documents, written after the decision; only the limits are taken in turn.
        Assert.DoesNotContain(store.RefusedWrites, key => key.StartsWith(CaptureLimits.Prefix, StringComparison.Ordinal) && !key.StartsWith($"{CaptureLimits.Prefix}notices/", StringComparison.Ordinal));
        Assert.Equal(4, Manifests(CaptureStatus.Pending));
    }

    [Fact]
    public async Task An_instance_that_adopts_a_capture_before_its_decider_writes_the_manifest_leaves_the_limits_counting_it()
    {
        // A commits its decision; before A writes the manifest, B receives the same alert, finds A's committed in-flight
        // entry, and writes the manifest first. A's write then fails: the capture exists once, and its entries stay.
        var racing = new StepStore(new FolderStore(_kit.StorePath));
        var decider = _kit.NewInstance(_ => racing);
        var adopter = _kit.NewInstance();
        var alert = Latency("checkout");
        List<Functions.Admission.PlannedCapture> adopted = [];
        racing.BeforeFirstWrite = ("/manifest.json", async () => adopted = await adopter.DeliverAsync([alert]));

        var decided = await decider.DeliverAsync([alert]);
        _kit.Clock.Advance(TimeSpan.FromMinutes(1));
        var sameTargetLater = await adopter.DeliverAsync([Latency("checkout", startedAgo: TimeSpan.FromSeconds(5))]);

        Assert.Equal(CaptureDecision.Started, Assert.Single(adopted).Decision);
        Assert.Equal(CaptureDecision.Duplicate, Assert.Single(decided).Decision);
        Assert.Equal(1, Manifests(CaptureStatus.Pending));
        Assert.Equal(SkipCause.Cooldown, Assert.Single(sameTargetLater).SkippedBy);
    }

    private string BudgetFile()
    {
        var limits = (CaptureLimits)_kit.NewInstance().Services.GetService(typeof(CaptureLimits))!;
        var probe = new Functions.Admission.PlannedCapture(Latency("x"), Functions.Rules.RulesLoader.LoadFile(_kit.RulesFile).Rules[0], "20261205-0000000000000000", new CaptureTarget("http://127.0.0.1:7080", "x", new ProcessSelector(Name: "x")));
        return Path.GetFileName(limits.Budget(probe).StoreKey);
    }

    [Fact]
    public async Task A_delivery_cut_off_at_any_store_operation_never_leaves_more_captures_than_the_limits_allow()
    {
        // Each store operation in turn fails as if the instance died there (the app itself carries a decision through
        // once it writes, so only a crash stops it mid-way).
        // Budget 4 and 3 targets per group, over two groups: at most 4 captures, whatever is cut off where.
        var alerts = Enumerable.Range(0, 6).Select(i => Latency($"svc-{i}", group: $"g{i % 2}")).ToList();
        var counting = new StepStore(new FolderStore(Path.Combine(_kit.Root, "count")));
        await _kit.NewInstance(_ => counting).DeliverAsync(alerts);
        Assert.Equal(4, Manifests(Path.Combine(_kit.Root, "count"), CaptureStatus.Pending));
        // 4 shared documents and 8 cooldowns read, 4 existence checks, 12 reservations, then 12 commits (the in-flight one last).
        const int firstCommit = 12 + 4 + 12;
        const int lastCommit = firstCommit + 12;

        for (var step = 1; step <= counting.Operations; step++)
        {
            var root = Path.Combine(_kit.Root, $"cut-{step}");
            var cut = new StepStore(new FolderStore(root)) { CancelAt = step };
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _kit.NewInstance(_ => cut).DeliverAsync(alerts));

            // The sender delivers again (Alertmanager retries what got no answer) to a fresh instance, once reservations
            // the cut-off decision left pending have timed out.
            _kit.Clock.Advance(StoreLimiter.PendingTimeout);
            var again = await _kit.NewInstance(_ => new FolderStore(root)).DeliverAsync(alerts);

            var written = Manifests(root, CaptureStatus.Pending);
            Assert.True(written <= 4, $"cut at store operation {step}: {written} captures");
            Assert.All(again, c => Assert.NotEqual(CaptureDecision.Proceeding, c.Decision));
            // Cut before its commit point, a decision leaves nothing that outlives the pending timeout, and one cut after
            // it is adopted by the retry: either way nothing is lost. Only a crash between the commits of two documents
            // can cost captures (never add any): slots the dead decision committed stay held for captures that never ran.
            if (step <= firstCommit || step > lastCommit)
            {
                Assert.Equal(4, written);
            }
        }
    }
}

/// <summary>A delivery's regular-expression matching stops at its budget; the rest of its alerts are answered as skipped.</summary>
public sealed class MatchBudgetTests : IAsyncLifetime
{
    // Exponential backtracking on a run of a's that ends in something else.
    private const string Rules = """
        rules:
          - name: slow
            match: ['service =~ "(a|aa)+"']
            target: { collector: "http://127.0.0.1:7080", host: "h", process: { name: checkout } }
            captures: [stacks]
        """;

    private readonly AdmissionKit _kit = new(Rules);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _kit.DisposeAsync();

    [Fact]
    public async Task Alerts_past_the_budget_are_skipped_with_the_reason_and_the_delivery_is_still_answered()
    {
        var instance = _kit.NewInstance(settings: new() { ["AutoCapture:Limits:MatchBudget"] = "00:00:00.300" });
        var alerts = Enumerable.Range(0, 40)
            .Select(i => AdmissionKit.Firing("Slow", _kit.Clock.GetUtcNow(), "g", ("service", new string('a', 40) + i)))
            .ToList();
        var context = new Functions.Pipeline.WebhookContext("alertmanager", _ => null, _ => null, "application/json", _ => Task.FromResult(ReadOnlyMemory<byte>.Empty), DateTimeOffset.UtcNow);
        context.Alerts.AddRange(alerts);

        await ((Functions.Pipeline.RouteStage)instance.Services.GetService(typeof(Functions.Pipeline.RouteStage))!).ExecuteAsync(context, CancellationToken.None);

        // Each evaluation that backtracks runs until the 100 ms regex timeout: the 300 ms budget is spent after a few.
        var skipped = context.AlertNotes.Values.Count(n => n.Contains("AutoCapture:Limits:MatchBudget", StringComparison.Ordinal));
        Assert.InRange(skipped, 30, 39);
        Assert.All(context.AlertNotes.Values.Where(n => !n.Contains("MatchBudget", StringComparison.Ordinal)), n => Assert.Equal("no rule matched", n));
    }

    [Theory]
    [InlineData("(a+)+", true)]
    [InlineData("(a|aa)+", false)]
    [InlineData("(x*y)*z", true)]
    [InlineData("((ab)+c)+", true)]
    [InlineData("[(a+)]+", false)]
    [InlineData(@"\(a+\)+", false)]
    [InlineData("checkout-(eu|us)-[0-9]+", false)]
    public void Nested_quantifiers_are_recognised(string pattern, bool nested)
    {
        Assert.True(Functions.Rules.LabelMatcher.TryParse($"service =~ \"{pattern.Replace("\\", "\\\\", StringComparison.Ordinal)}\"", out var matcher, out var error), error);
        Assert.Equal(nested, matcher!.NestsQuantifiers);
    }
}
