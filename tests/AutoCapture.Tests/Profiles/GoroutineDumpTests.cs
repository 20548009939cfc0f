using AutoCapture.Profiles;
using AutoCapture.Profiles.Goroutines;

namespace AutoCapture.Tests.Profiles;

public sealed class GoroutineDumpTests
{
    // The shapes Go 1.19 to 1.22 write: "in goroutine N" (1.21+), wait minutes, locked threads, elided frames, panics.
    internal const string Dump = """
        panic: something went wrong

        goroutine 1 [running]:
        main.main()
        	/src/main.go:74 +0x793

        goroutine 35 [chan receive, 42 minutes]:
        main.plantedLeakyWorker(0x1)
        	/src/planted.go:31 +0x45
        created by main.startLeak in goroutine 1
        	/src/planted.go:25 +0x8e

        goroutine 36 [chan receive, 7 minutes]:
        main.plantedLeakyWorker(0x2)
        	/src/planted.go:31 +0x45
        created by main.startLeak in goroutine 1
        	/src/planted.go:25 +0x8e

        goroutine 37 [chan receive]:
        main.plantedLeakyWorker(0x3)
        	/src/planted.go:31 +0x45
        created by main.startLeak
        	/src/planted.go:25 +0x8e

        goroutine 18 [syscall, 3 minutes, locked to thread]:
        runtime.goexit({})
        	/usr/lib/go/src/runtime/asm_amd64.s:1594 +0x1

        goroutine 50 [select]:
        main.(*server).loop(0xc000010000, {0x766bc0, 0xc0000a2000})
        	/src/server.go:12 +0x1d
        ...additional frames elided...
        created by main.(*server).start
        	/src/server.go:5 +0x2a
        """;

    [Fact]
    public void Parses_headers_frames_creators_and_elisions()
    {
        var goroutines = GoroutineDump.Parse(Dump);

        Assert.Equal(new long[] { 1, 35, 36, 37, 18, 50 }, goroutines.Select(g => g.Id));
        var leak = goroutines[1];
        Assert.Equal(("chan receive", (int?)42, false), (leak.State, leak.WaitMinutes, leak.LockedToThread));
        Assert.Equal(new GoFrame("main.plantedLeakyWorker", "/src/planted.go:31"), leak.Frames.Single());
        Assert.Equal((new GoFrame("main.startLeak", "/src/planted.go:25"), (long?)1), (leak.CreatedBy, leak.CreatorId));
        Assert.Equal((null, (long?)null), (goroutines[3].WaitMinutes, goroutines[3].CreatorId));
        Assert.Equal(("syscall", (int?)3, true), (goroutines[4].State, goroutines[4].WaitMinutes, goroutines[4].LockedToThread));
        Assert.Equal("runtime.goexit", goroutines[4].Frames[0].Function);
        Assert.Equal(("main.(*server).loop", true, "main.(*server).start"), (goroutines[5].Frames[0].Function, goroutines[5].FramesElided, goroutines[5].CreatedBy!.Function));
    }

    [Fact]
    public void Groups_by_state_stack_and_creator_largest_first_with_wait_range()
    {
        var summary = GoroutineGrouper.Summarize(GoroutineDump.Parse(Dump));

        Assert.Equal((6, 4, (int?)42), (summary.Total, summary.GroupCount, summary.LongestWaitMinutes));
        var leak = summary.Groups[0];
        Assert.Equal((3, "chan receive", (int?)7, (int?)42, "main.startLeak"), (leak.Count, leak.State, leak.MinWaitMinutes, leak.MaxWaitMinutes, leak.CreatedBy));
        Assert.Equal(["main.plantedLeakyWorker"], leak.Frames);
        Assert.Equal(["main.(*server).loop", "…"], summary.Groups.Single(g => g.State == "select").Frames);
        Assert.True(summary.Groups.Single(g => g.State == "syscall").LockedToThread);
    }

    [Fact]
    public void Goroutines_on_different_lines_or_states_stay_apart()
    {
        var dump = """
            goroutine 1 [chan receive]:
            main.wait()
            	/src/a.go:1 +0x1

            goroutine 2 [chan receive]:
            main.wait()
            	/src/a.go:2 +0x1

            goroutine 3 [chan send]:
            main.wait()
            	/src/a.go:1 +0x1
            """;

        Assert.Equal(3, GoroutineGrouper.Summarize(GoroutineDump.Parse(dump)).GroupCount);
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello world\nthis is not a dump\n")]
    [InlineData("goroutine x [running]:\nmain.main()\n")]
    [InlineData("goroutine 1 running\n")]
    public void Text_without_a_goroutine_is_refused(string text)
    {
        var failure = Assert.Throws<ProfileFormatException>(() => GoroutineDump.Parse(text));

        Assert.StartsWith("not a goroutine dump: none of its", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("main.f()", "main.f")]
    [InlineData("main.(*T).run(0xc0000a2000, {0x1, 0x2})", "main.(*T).run")]
    [InlineData("main.f(...)", "main.f")]
    [InlineData("main.func1.2()", "main.func1.2")]
    [InlineData("weird(", "weird(")]
    [InlineData(")", ")")]
    public void Function_names_lose_only_their_argument_list(string line, string expected) =>
        Assert.Equal(expected, GoroutineDump.FunctionName(line));
}
