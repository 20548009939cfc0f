using AutoCapture.Core.Storage;
using AutoCapture.Functions.Limits;

namespace AutoCapture.Tests.Limits;

public sealed class StoreLimiterTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "autocapture-limiter-tests", Guid.NewGuid().ToString("N"));
    private readonly StoreLimiter _limiter;
    private readonly DateTimeOffset _now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    public StoreLimiterTests() => _limiter = new StoreLimiter(new FolderStore(_root));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private Task<AdmissionResult> Reserve(LimitPolicy policy, string id, string? key = null, TimeSpan? offset = null, TimeSpan? hold = null) =>
        _limiter.TryReserveAsync(policy, id, key ?? id, _now + (offset ?? TimeSpan.Zero), _now + (offset ?? TimeSpan.Zero) + (hold ?? TimeSpan.FromHours(1)), CancellationToken.None);

    [Fact]
    public async Task A_full_limit_refuses_only_on_committed_reservations_and_waits_on_pending_ones()
    {
        var policy = new LimitPolicy("state/limits/test.json", 1);

        Assert.Equal(Admission.Reserved, (await Reserve(policy, "a")).Outcome);
        Assert.Equal(Admission.Busy, (await Reserve(policy, "b")).Outcome);

        await _limiter.CommitAsync(policy, "a", _now, CancellationToken.None);
        var refused = await Reserve(policy, "b");
        Assert.Equal(Admission.Refused, refused.Outcome);
        Assert.Equal("a", Assert.Single(refused.Holders).CaptureId);
    }

    [Fact]
    public async Task A_reservation_left_pending_past_its_timeout_cannot_be_committed_once_another_took_the_slot()
    {
        var policy = new LimitPolicy("state/limits/test.json", 1);
        await Reserve(policy, "slow");
        var late = StoreLimiter.PendingTimeout + TimeSpan.FromSeconds(1);
        Assert.Equal(Admission.Reserved, (await Reserve(policy, "b", offset: late)).Outcome);

        Assert.False(await _limiter.CommitAsync(policy, "slow", _now + late, CancellationToken.None));
        Assert.True(await _limiter.CommitAsync(policy, "b", _now + late, CancellationToken.None));
        Assert.Equal("b", Assert.Single((await Reserve(policy, "c", offset: late)).Holders).CaptureId);
    }

    [Fact]
    public async Task A_reservation_nobody_took_over_is_committed_even_when_its_hold_has_run_out()
    {
        // A cooldown of zero: the reservation's hold ends the moment it is made.
        var policy = new LimitPolicy("state/limits/test.json", 1);
        await Reserve(policy, "a", hold: TimeSpan.Zero);

        Assert.True(await _limiter.CommitAsync(policy, "a", _now + TimeSpan.FromSeconds(1), CancellationToken.None));
        Assert.Equal(Admission.Reserved, (await Reserve(policy, "b", offset: TimeSpan.FromSeconds(1))).Outcome);
    }

    [Fact]
    public async Task Releasing_a_pending_reservation_lets_the_next_capture_in()
    {
        var policy = new LimitPolicy("state/limits/test.json", 1);
        await Reserve(policy, "a");

        await _limiter.ReleaseAsync(policy, "a", _now, CancellationToken.None);

        Assert.Equal(Admission.Reserved, (await Reserve(policy, "b")).Outcome);
    }

    [Fact]
    public async Task Asking_again_for_the_same_capture_keeps_its_reservation()
    {
        var policy = new LimitPolicy("state/limits/test.json", 1);
        await Reserve(policy, "a");
        await _limiter.CommitAsync(policy, "a", _now, CancellationToken.None);

        Assert.Equal(Admission.Reserved, (await Reserve(policy, "a")).Outcome);
    }

    [Fact]
    public async Task Distinct_keys_count_targets_not_captures()
    {
        var storm = new LimitPolicy("state/limits/storm.json", 2, DistinctKeys: true);
        foreach (var (id, target) in new[] { ("a", "web-1"), ("b", "web-1"), ("c", "web-2") })
        {
            Assert.Equal(Admission.Reserved, (await Reserve(storm, id, target)).Outcome);
            await _limiter.CommitAsync(storm, id, _now, CancellationToken.None);
        }

        Assert.Equal(Admission.Refused, (await Reserve(storm, "d", "web-3")).Outcome);
        Assert.Equal(Admission.Reserved, (await Reserve(storm, "e", "web-2")).Outcome);
    }

    [Fact]
    public async Task Reservations_expire_and_abandoned_pending_ones_time_out()
    {
        var policy = new LimitPolicy("state/limits/test.json", 1);
        await Reserve(policy, "a", hold: TimeSpan.FromMinutes(10));
        await _limiter.CommitAsync(policy, "a", _now, CancellationToken.None);
        await Reserve(new LimitPolicy("state/limits/other.json", 1), "x");

        Assert.Equal(Admission.Refused, (await Reserve(policy, "b", offset: TimeSpan.FromMinutes(9))).Outcome);
        Assert.Equal(Admission.Reserved, (await Reserve(policy, "b", offset: TimeSpan.FromMinutes(11))).Outcome);
        Assert.Equal(Admission.Busy, (await Reserve(new LimitPolicy("state/limits/other.json", 1), "y", offset: TimeSpan.FromSeconds(10))).Outcome);
        Assert.Equal(Admission.Reserved, (await Reserve(new LimitPolicy("state/limits/other.json", 1), "y", offset: StoreLimiter.PendingTimeout + TimeSpan.FromSeconds(1))).Outcome);
    }
}
