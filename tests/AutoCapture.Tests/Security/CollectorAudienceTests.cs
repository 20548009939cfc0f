using System.Net;
using AutoCapture.Collector.Hosting;
using AutoCapture.Collector.Options;
using AutoCapture.Core.Security;

namespace AutoCapture.Tests.Security;

/// <summary>Which audiences a collector takes as its own: this machine's names and addresses, or exactly what is configured.</summary>
public sealed class CollectorAudienceTests
{
    [Theory]
    [InlineData("http://127.0.0.1:7080/v1/captures")]
    [InlineData("http://localhost:1/v1/captures")]
    [InlineData("http://[::1]:7080/v1/captures")]
    public void By_default_this_machines_own_names_and_addresses_are_accepted(string url)
    {
        Assert.True(new CollectorAudience(new CollectorOptions()).Accepts(RequestSigning.AudienceOf(new Uri(url))));
    }

    [Fact]
    public void By_default_the_host_name_and_names_under_it_are_accepted_and_others_are_not()
    {
        var audience = new CollectorAudience(new CollectorOptions());
        var machine = Dns.GetHostName().ToLowerInvariant();

        Assert.True(audience.Accepts($"{machine}:7080"));
        Assert.True(audience.Accepts($"{machine}.prod.example.com:7080"));
        Assert.False(audience.Accepts($"not-{machine}:7080"));
        Assert.False(audience.Accepts("collector-elsewhere.invalid:7080"));
        Assert.False(audience.Accepts("127.0.0.1:7080/extra"));
        Assert.False(audience.Accepts("user@127.0.0.1:7080"));
    }

    [Fact]
    public void Configured_audiences_are_exact_and_replace_the_defaults()
    {
        var audience = new CollectorAudience(new CollectorOptions { Audiences = ["collector-a:7080", "Node-7"] });

        Assert.True(audience.Accepts("collector-a:7080"));
        Assert.False(audience.Accepts("collector-a:7081"));
        Assert.True(audience.Accepts("node-7:9999"));
        Assert.False(audience.Accepts("127.0.0.1:7080"));
    }
}
