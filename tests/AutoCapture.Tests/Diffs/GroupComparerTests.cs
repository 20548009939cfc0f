using System.Text;
using AutoCapture.Core.Summaries;
using AutoCapture.Diffs;
using AutoCapture.Profiles.Goroutines;

namespace AutoCapture.Tests.Diffs;

public sealed class GroupComparerTests
{
    /// <summary>A dump with idle workers and, optionally, leaked ones; line numbers differ by <paramref name="lineShift"/> (a redeploy).</summary>
    internal static string Dump(int idle, int leaked, int lineShift = 0, int firstId = 1)
    {
        var text = new StringBuilder();
        var id = firstId;
        text.Append($"goroutine {id++} [running]:\nmain.main()\n\t/src/main.go:{10 + lineShift} +0x1\n\n");
        for (var i = 0; i < idle; i++)
        {
            text.Append($"goroutine {id++} [select, {i % 5} minutes]:\nmain.idleWorker()\n\t/src/idle.go:{20 + lineShift} +0x2\ncreated by main.startIdle in goroutine 1\n\t/src/idle.go:{5 + lineShift} +0x3\n\n");
        }

        for (var i = 0; i < leaked; i++)
        {
            text.Append($"goroutine {id++} [chan receive, 12 minutes]:\nruntime.gopark(0x1)\n\t/usr/lib/go/src/runtime/proc.go:363 +0xd6\nruntime.chanrecv1(0xc000012345, 0x0)\n\t/usr/lib/go/src/runtime/chan.go:442 +0x18\nmain.leakyWorker(0xc000012345)\n\t/src/leak.go:{31 + lineShift} +0x45\ncreated by main.startLeak in goroutine 1\n\t/src/leak.go:{25 + lineShift} +0x8e\n\n");
        }

        return text.ToString();
    }

    private static GroupsDiff Compare(string baseline, string incident) => GroupComparer.Compare(
        StackGroups.FromGoroutines(GoroutineDump.Parse(baseline)),
        StackGroups.FromGoroutines(GoroutineDump.Parse(incident)),
        OwnCode.IsOwnGoFrame);

    [Fact]
    public void A_leak_appears_with_its_count_where_it_waits_and_its_creator_and_unchanged_groups_are_not_changes()
    {
        var diff = Compare(Dump(idle: 20, leaked: 0), Dump(idle: 20, leaked: 1240, lineShift: 3));

        var leak = Assert.Single(diff.Changes);
        Assert.Equal(("appeared", 0, 1240, "chan receive", "main.leakyWorker", "main.startLeak"), (leak.Change, leak.Before, leak.After, leak.State, leak.Where, leak.CreatedBy));
        Assert.Equal(new[] { "runtime.gopark", "runtime.chanrecv1", "main.leakyWorker" }, leak.Frames);
        // main.main and the idle workers: same story despite the shifted lines and different waits.
        Assert.Equal((21, 1261, 2), (diff.BaselineTotal, diff.Total, diff.Unchanged));
        Assert.Equal("+1,240 goroutines [chan receive] in main.leakyWorker (0 → 1,240, created by main.startLeak)", DiffHeadlines.For(new CaptureDiff { BaselineId = "b", Basis = "schedule", BaselineTarget = "t", Goroutines = diff })[0]);
    }

    [Fact]
    public void Groups_that_grow_shrink_or_vanish_are_ranked_by_the_size_of_the_change()
    {
        var diff = Compare(Dump(idle: 100, leaked: 10), Dump(idle: 40, leaked: 15).Replace("goroutine 1 [running]:\nmain.main()", "goroutine 1 [sleep]:\nmain.main()", StringComparison.Ordinal));

        Assert.Equal(
            new[] { ("shrank", 100, 40, "main.idleWorker"), ("grew", 10, 15, "main.leakyWorker"), ("appeared", 0, 1, "main.main"), ("vanished", 1, 0, "main.main") },
            diff.Changes.Select(c => (c.Change, c.Before, c.After, c.Where)));
        Assert.Equal(0, diff.Unchanged);
    }

    [Fact]
    public void Dotnet_threads_group_by_stack_and_name_the_programs_own_frame()
    {
        static ThreadStack Waiter(long id) => new(id, ["[native code]", "System.Private.CoreLib!System.Threading.Monitor.Enter(class System.Object)", "app!App.Orders.WaitForLock()", "System.Private.CoreLib!System.Threading.Thread.StartCallback()"]);
        var baseline = new ThreadStacksSummary(2, [new ThreadStack(1, ["app!App.Program.Main()"]), Waiter(2)]);
        var incident = new ThreadStacksSummary(5, [new ThreadStack(1, ["app!App.Program.Main()"]), Waiter(2), Waiter(3), Waiter(4), Waiter(5)]);

        var diff = GroupComparer.Compare(StackGroups.FromThreads(baseline), StackGroups.FromThreads(incident), OwnCode.IsOwnDotnetFrame);

        var grew = Assert.Single(diff.Changes);
        Assert.Equal(("grew", 1, 4, "in native code", "app!App.Orders.WaitForLock()"), (grew.Change, grew.Before, grew.After, grew.State, grew.Where));
        Assert.Equal(1, diff.Unchanged);
    }
}
