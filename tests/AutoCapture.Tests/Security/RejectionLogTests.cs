using AutoCapture.Core.Hosting;

namespace AutoCapture.Tests.Security;

public class RejectionLogTests
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void A_flood_under_one_key_writes_one_line_per_window_carrying_the_count_it_folded()
    {
        var log = new RejectionLog(_clock);

        var first = Enumerable.Range(0, 1000).Count(i => log.ShouldLog("10.0.0.9", out _));
        _clock.Advance(RejectionLog.Window - TimeSpan.FromMilliseconds(1));
        var stillFolded = log.ShouldLog("10.0.0.9", out _);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        var next = log.ShouldLog("10.0.0.9", out var folded);

        Assert.Equal(1, first);
        Assert.False(stillFolded);
        Assert.True(next);
        Assert.Equal(1000, folded);
    }

    [Fact]
    public void Keys_are_counted_apart_so_one_flooding_sender_does_not_hide_another()
    {
        var log = new RejectionLog(_clock);

        Assert.True(log.ShouldLog("401 alertmanager", out _));
        Assert.False(log.ShouldLog("401 alertmanager", out _));

        Assert.True(log.ShouldLog("401 grafana", out var folded));
        Assert.Equal(0, folded);
    }

    [Fact]
    public void Beyond_the_key_cap_new_keys_share_one_line()
    {
        var log = new RejectionLog(_clock);
        for (var i = 0; i < 1024; i++)
        {
            Assert.True(log.ShouldLog($"10.0.{i / 256}.{i % 256}", out _));
            Assert.False(log.ShouldLog($"10.0.{i / 256}.{i % 256}", out _));
        }

        var lines = Enumerable.Range(0, 500).Count(i => log.ShouldLog($"fd00::{i:x}", out _));

        Assert.Equal(1, lines);
    }
}
