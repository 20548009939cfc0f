using AutoCapture.Collector.Dotnet;

namespace AutoCapture.Tests.Dotnet;

public sealed class ThreadSampleTests
{
    private static readonly string[] Above = ["Threads", "(Non-Activities)", "Process64 app (42) Args: app cpu"];

    [Fact]
    public void Keeps_the_real_frames_between_the_state_marker_and_the_thread_node()
    {
        var sample = ThreadSample.FromStack(["CPU_TIME", "app!Hot()", "app!Main()", "Thread (4242)", .. Above])!;

        Assert.Equal(4242, sample.ThreadId);
        Assert.Equal(["app!Hot()", "app!Main()"], sample.Frames);
        Assert.False(sample.InNativeCode);
    }

    [Fact]
    public void Marks_native_code_and_reads_a_thread_id_followed_by_a_thread_name()
    {
        var sample = ThreadSample.FromStack(
            ["UNMANAGED_CODE_TIME", "System.Private.CoreLib!System.Threading.Monitor.Wait()", "Thread (17) (.NET TP Worker)", .. Above])!;

        Assert.Equal(17, sample.ThreadId);
        Assert.Equal(["System.Private.CoreLib!System.Threading.Monitor.Wait()"], sample.Frames);
        Assert.True(sample.InNativeCode);
    }

    [Fact]
    public void A_thread_with_no_managed_frames_has_an_empty_stack()
    {
        var sample = ThreadSample.FromStack(["UNMANAGED_CODE_TIME", "Thread (9)", .. Above])!;

        Assert.Empty(sample.Frames);
        Assert.True(sample.InNativeCode);
    }

    [Theory]
    [InlineData("app!Main()", "Threads")]
    [InlineData("CPU_TIME", "Thread (abc)")]
    [InlineData("CPU_TIME", "Thread (")]
    public void A_stack_without_a_readable_thread_node_is_rejected(string leaf, string node) =>
        Assert.Null(ThreadSample.FromStack([leaf, node]));
}
