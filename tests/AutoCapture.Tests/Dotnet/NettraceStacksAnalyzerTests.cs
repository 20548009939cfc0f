using AutoCapture.Collector.Dotnet;
using AutoCapture.Core.Summaries;

namespace AutoCapture.Tests.Dotnet;

public sealed class NettraceStacksAnalyzerTests
{
    [Fact]
    public void A_thread_in_native_code_shows_it_as_its_innermost_frame()
    {
        var blocked = NettraceStacksAnalyzer.ToThreadStack(new ThreadSample(7, ["m!Monitor.Enter()", "m!Waiter()"], InNativeCode: true));
        var running = NettraceStacksAnalyzer.ToThreadStack(new ThreadSample(8, ["m!Hot()"], InNativeCode: false));

        Assert.Equal(["[native code]", "m!Monitor.Enter()", "m!Waiter()"], blocked.Frames);
        Assert.Equal(["m!Hot()"], running.Frames);
    }

    [Fact]
    public void Text_lists_each_thread_in_hex_and_decimal_with_its_frames_indented()
    {
        var stacks = new ThreadStacksSummary(2, [new ThreadStack(6699, ["m!Inner()", "m!Outer()"]), new ThreadStack(10, [])]);
        using var text = new StringWriter();

        NettraceStacksAnalyzer.WriteText(stacks, text);

        Assert.Equal("Thread 0x1a2b (id 6699):\n    m!Inner()\n    m!Outer()\n\nThread 0xa (id 10):\n\n", text.ToString());
    }
}
