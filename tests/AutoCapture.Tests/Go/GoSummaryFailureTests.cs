using AutoCapture.Collector.Captures;
using AutoCapture.Collector.Go;

namespace AutoCapture.Tests.Go;

/// <summary>What a target sends that is not what it should be fails the capture with the reason, never the collector.</summary>
public sealed class GoSummaryFailureTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("autocapture-go-").FullName;

    [Theory]
    [InlineData(new byte[] { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, "the heap profile cannot be read: ")]
    [InlineData(new byte[] { 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f }, "the heap profile cannot be read: not a pprof profile: the protobuf is malformed")]
    [InlineData(new byte[] { (byte)'<', (byte)'h', (byte)'t', (byte)'m', (byte)'l', (byte)'>' }, "the heap profile cannot be read: not a pprof profile")]
    public void A_corrupt_profile_fails_the_capture_in_words(byte[] data, string expected)
    {
        var failure = Assert.Throws<CaptureFailedException>(() => GoPprofCaptureProvider.Summarize("heap", data, null));

        Assert.StartsWith(expected, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_garbage_goroutine_dump_fails_the_capture_in_words()
    {
        var path = Path.Combine(directory, "goroutines.txt");
        File.WriteAllText(path, "<html><body>502 Bad Gateway</body></html>\n");

        var failure = Assert.Throws<CaptureFailedException>(() => GoGoroutinesCaptureProvider.Summarize(path, null));

        Assert.Equal("the goroutine dump cannot be read: not a goroutine dump: none of its 1 lines is a 'goroutine N [state]:' header", failure.Message);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
