using AutoCapture.Core.Storage;
using AutoCapture.Functions.Limits;

namespace AutoCapture.Tests.Limits;

public sealed class StoreLimiterTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "autocapture-limiter-tests", Guid.NewGuid().ToString("N"));
    private readonly FolderStore _store;
    private readonly StoreLimiter _limiter;
    private readonly DateTimeOffset _now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    public StoreLimiterTests()
    {
        _store = new FolderStore(_root);
        _limiter = new StoreLimiter(_store);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Reads the document, checks the reservation and, when it fits, reserves it (pending) as a decision would.</summary>
    private async Task<(LimitCheck Check, LimitDocument Document)> Reserve(LimitPolicy policy, string id, string? key = null, TimeSpan? offset = null, TimeSpan? hold = null)
    {
        var at = _now + (offset ?? TimeSpan.Zero);
        var document = await _limiter.ReadAsync(policy, at, CancellationToken.None);
        var check = document.Check(key ?? id);
        if (check.Outcome == LimitOutcome.Fits)
        {
            document.Add(new LimitEntry(id, key ?? id, at, at + (hold ?? TimeSpan.FromHours(1)), Committed: false));
            Assert.True(await _limiter.ReserveAsync(document, CancellationToken.None));
        }

        return (check, document);
    }

    private async Task Take(LimitPolicy policy, string id, string? key = null, TimeSpan? hold = null)
    {
        var (check, document) = await Reserve(policy, id, key, hold: hold);
        Assert.Equal(LimitOutcome.Fits, check.Outcome);
        Assert.True(await _limiter.CommitAsync(document, CancellationToken.None));
    }

    [Fact]
    public async Task A_full_limit_refuses_only_on_committed_reservations_and_waits_on_pending_ones()
    {
        var policy = new LimitPolicy("state/limits/test.json", 1);

        var (first, pending) = await Reserve(policy, "a");
        Assert.Equal(LimitOutcome.Fits, first.Outcome);
        Assert.Equal(LimitOutcome.Busy, (await Reserve(policy, "b")).Check.Outcome);

        Assert.True(await _limiter.CommitAsync(pending, CancellationToken.None));
        var refused = (await Reserve(policy, "b")).Check;
        Assert.Equal(LimitOutcome.Refused, refused.Outcome);
        Assert.Equal("a", Assert.Single(refused.Holders).CaptureId);
    }

    [Fact]
    public async Task A_reservation_is_checked_again_against_a_document_changed_since_it_was_read()
    {
        var policy = new LimitPolicy("state/limits/test.json", 1);
        var stale = await _limiter.ReadAsync(policy, _now, CancellationToken.None);
        await Take(policy, "other");

        Assert.Equal(LimitOutcome.Fits, stale.Check("mine").Outcome);
        stale.Add(new LimitEntry("mine", "mine", _now, _now.AddHours(1), Committed: false));
        Assert.False(await _limiter.ReserveAsync(stale, CancellationToken.None));

        var state = (await _store.ReadAsync<LimitState>(policy.StoreKey, CancellationToken.None))!.Value.Value;
        Assert.Equal("other", Assert.Single(state.Entries).CaptureId);
    }

    [Fact]
    public async Task One_write_reserves_and_one_commits_every_entry_a_decision_added()
    {
        var policy = new LimitPolicy("state/limits/budget.json", 3);
        var document = await _limiter.ReadAsync(policy, _now, CancellationToken.None);
        foreach (var id in new[] { "a", "b", "c" })
        {
            Assert.Equal(LimitOutcome.Fits, document.Check(id).Outcome);
            document.Add(new LimitEntry(id, id, _now, _now.AddHours(1), Committed: false));
        }

        Assert.Equal(LimitOutcome.Refused, document.Check("d").Outcome);
        Assert.True(await _limiter.ReserveAsync(document, CancellationToken.None));
        Assert.True(await _limiter.CommitAsync(document, CancellationToken.None));

        var state = (await _store.ReadAsync<LimitState>(policy.StoreKey, CancellationToken.None))!.Value.Value;
        Assert.Equal(["a", "b", "c"], state.Entries.Select(e => e.CaptureId).Order());
        Assert.All(state.Entries, e => Assert.True(e.Committed));
    }

    [Fact]
    public async Task A_reservation_left_pending_past_its_timeout_cannot_be_committed_once_another_took_the_slot()
    {
        var policy = new LimitPolicy("state/limits/test.json", 1);
        var (_, slow) = await Reserve(policy, "slow");
        var late = StoreLimiter.PendingTimeout + TimeSpan.FromSeconds(1);
        var (check, taker) = await Reserve(policy, "b", offset: late);
        Assert.Equal(LimitOutcome.Fits, check.Outcome);

        Assert.False(await _limiter.CommitAsync(slow, CancellationToken.None));
        Assert.True(await _limiter.CommitAsync(taker, CancellationToken.None));
        Assert.Equal("b", Assert.Single((await Reserve(policy, "c", offset: late)).Check.Holders).CaptureId);
    }

    [Fact]
    public async Task A_reservation_nobody_took_over_is_committed_even_when_its_hold_has_run_out()
    {
        // A cooldown of zero: the reservation's hold ends the moment it is made.
        var policy = new LimitPolicy("state/limits/test.json", 1);
        var (_, document) = await Reserve(policy, "a", hold: TimeSpan.Zero);

        Assert.True(await _limiter.CommitAsync(document, CancellationToken.None));
        Assert.Equal(LimitOutcome.Fits, (await Reserve(policy, "b", offset: TimeSpan.FromSeconds(1))).Check.Outcome);
    }

    [Fact]
    public async Task Within_one_decision_a_reservation_whose_hold_ends_at_once_holds_nothing()
    {
        // A zero cooldown: two captures of the same target in one batch both fit.
        var document = await _limiter.ReadAsync(new LimitPolicy("state/limits/cooldown.json", 1), _now, CancellationToken.None);
        document.Add(new LimitEntry("a", "a", _now, _now, Committed: false));

        Assert.Equal(LimitOutcome.Fits, document.Check("b").Outcome);
    }

    [Fact]
    public async Task Releasing_a_pending_reservation_lets_the_next_capture_in()
    {
        var policy = new LimitPolicy("state/limits/test.json", 1);
        await Reserve(policy, "a");

        await _limiter.ReleaseAsync(policy, e => e.CaptureId == "a", _now, CancellationToken.None);

        Assert.Equal(LimitOutcome.Fits, (await Reserve(policy, "b")).Check.Outcome);
    }

    [Fact]
    public async Task A_capture_already_holding_a_reservation_is_seen_as_such()
    {
        var policy = new LimitPolicy("state/limits/test.json", 1);
        await Take(policy, "a");

        var document = await _limiter.ReadAsync(policy, _now, CancellationToken.None);
        Assert.True(document.EntryOf("a")!.Committed);
        Assert.Null(document.EntryOf("b"));
    }

    [Fact]
    public async Task Distinct_keys_count_targets_not_captures()
    {
        var storm = new LimitPolicy("state/limits/storm.json", 2, DistinctKeys: true);
        foreach (var (id, target) in new[] { ("a", "web-1"), ("b", "web-1"), ("c", "web-2") })
        {
            await Take(storm, id, target);
        }

        Assert.Equal(LimitOutcome.Refused, (await Reserve(storm, "d", "web-3")).Check.Outcome);
        Assert.Equal(LimitOutcome.Fits, (await Reserve(storm, "e", "web-2")).Check.Outcome);
    }

    [Fact]
    public async Task Reservations_expire_and_abandoned_pending_ones_time_out()
    {
        var policy = new LimitPolicy("state/limits/test.json", 1);
        var other = new LimitPolicy("state/limits/other.json", 1);
        await Take(policy, "a", hold: TimeSpan.FromMinutes(10));
        await Reserve(other, "x");

        Assert.Equal(LimitOutcome.Refused, (await Reserve(policy, "b", offset: TimeSpan.FromMinutes(9))).Check.Outcome);
        Assert.Equal(LimitOutcome.Fits, (await Reserve(policy, "b", offset: TimeSpan.FromMinutes(11))).Check.Outcome);
        Assert.Equal(LimitOutcome.Busy, (await Reserve(other, "y", offset: TimeSpan.FromSeconds(10))).Check.Outcome);
        Assert.Equal(LimitOutcome.Fits, (await Reserve(other, "y", offset: StoreLimiter.PendingTimeout + TimeSpan.FromSeconds(1))).Check.Outcome);
    }
}
