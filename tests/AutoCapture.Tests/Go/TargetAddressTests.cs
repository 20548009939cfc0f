using AutoCapture.Core.Security;
using AutoCapture.Collector.Options;
using AutoCapture.Core.Captures;

namespace AutoCapture.Tests.Go;

public sealed class TargetAddressTests
{
    [Theory]
    [InlineData("http://10.1.2.3:6060", "http://10.1.2.3:6060")]
    [InlineData("http://10.1.2.3:6060/debug/pprof/?x=1#y", "http://10.1.2.3:6060")]
    [InlineData("https://checkout.internal", "https://checkout.internal:443")]
    [InlineData("http://Checkout.Internal:80/", "http://checkout.internal:80")]
    [InlineData("http://[fd00::1]:6060", "http://[fd00::1]:6060")]
    public void Normalises_to_scheme_host_and_port_dropping_any_path(string text, string expected)
    {
        Assert.True(TargetAddress.TryNormalize(text, out var address, out _));
        Assert.Equal(expected, TargetAddress.Format(address));
    }

    [Theory]
    [InlineData("10.1.2.3:6060", "not an absolute http(s) URL")]
    [InlineData("file:///etc/passwd", "not an absolute http(s) URL")]
    [InlineData("ftp://host", "not an absolute http(s) URL")]
    [InlineData("", "at most 512 characters")]
    [InlineData("http://user:secret@10.1.2.3:6060", "must not carry credentials")]
    public void Refuses_what_is_not_a_plain_http_address(string text, string expected)
    {
        Assert.False(TargetAddress.TryNormalize(text, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.1.0.0/16:6060", "http://10.1.200.7:6060", true)]
    [InlineData("10.1.0.0/16:6060", "http://10.1.200.7:6061", false)]
    [InlineData("10.1.0.0/16:6060", "http://10.2.0.1:6060", false)]
    [InlineData("10.1.0.0/16", "https://10.1.0.9:8443", true)]
    [InlineData("127.0.0.1", "http://127.0.0.1:1234", true)]
    [InlineData("127.0.0.1", "http://localhost:1234", false)]
    [InlineData("checkout.internal:6060", "http://CHECKOUT.internal:6060", true)]
    [InlineData("checkout.internal:6060", "http://checkout.internal.evil.com:6060", false)]
    [InlineData("checkout.internal", "http://10.1.2.3:6060", false)]
    [InlineData("[fd00::/8]:6060", "http://[fd00::1]:6060", true)]
    [InlineData("[::1]", "http://[::1]:80", true)]
    public void Allowlist_entries_match_hosts_ranges_and_ports(string entry, string target, bool allowed)
    {
        Assert.True(AllowedAddress.TryParse(entry, out var parsed, out var error), error);
        Assert.True(TargetAddress.TryNormalize(target, out var address, out _));

        Assert.Equal(allowed, parsed.Allows(address));
    }

    [Theory]
    [InlineData("http://10.1.2.3:6060")]
    [InlineData("10.1.0.0/99")]
    [InlineData("10.1.2.3:99999")]
    [InlineData("bad host!")]
    [InlineData("")]
    public void Bad_allowlist_entries_are_refused(string entry) =>
        Assert.False(AllowedAddress.TryParse(entry, out _, out _));

    [Fact]
    public void Bad_allowlist_entries_stop_the_collector_at_start_with_their_index()
    {
        var result = new CollectorOptionsValidator().Validate(null, new CollectorOptions { SigningKey = new string('k', 32), AllowedAddresses = ["10.0.0.0/8:6060", "http://x"] });

        Assert.True(result.Failed);
        Assert.Contains("AutoCapture:Collector:AllowedAddresses:1:", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dotnet", false, "dump", true)]
    [InlineData("dotnet", false, "goroutines", false)]
    [InlineData("go", true, "dump", false)]
    [InlineData("go", true, "block", true)]
    [InlineData("go", false, "block", false)]
    [InlineData("go", false, "counters", true)]
    [InlineData("dotnet", true, "cpu", false)]
    public void Kinds_are_offered_per_runtime_and_channel(string runtime, bool byAddress, string kind, bool supported)
    {
        var problem = Runtimes.Unsupported(runtime, byAddress, kind);

        Assert.Equal(supported, problem is null);
        if (problem is not null)
        {
            Assert.StartsWith($"kind '{kind}' is not available for ", problem, StringComparison.Ordinal);
        }
    }
}
