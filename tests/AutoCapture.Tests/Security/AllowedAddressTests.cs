using AutoCapture.Core.Security;

namespace AutoCapture.Tests.Security;

public class AllowedAddressTests
{
    [Theory]
    [InlineData("http://169.254.169.254", true)]
    [InlineData("http://169.254.1.2:7080", true)]
    [InlineData("http://[fe80::1]:7080", true)]
    [InlineData("http://[::ffff:169.254.169.254]:7080", true)]
    [InlineData("http://[fd00:ec2::254]", true)]
    [InlineData("http://168.63.129.16", true)]
    [InlineData("http://100.100.100.200", true)]
    [InlineData("http://metadata.google.internal", true)]
    [InlineData("http://METADATA:80", true)]
    [InlineData("http://10.1.2.3:7080", false)]
    [InlineData("http://127.0.0.1:7080", false)]
    [InlineData("http://collector.internal:7080", false)]
    public void Link_local_and_metadata_addresses_are_recognised(string address, bool expected)
    {
        Assert.Equal(expected, AllowedAddress.IsLinkLocalOrMetadata(new Uri(address)));
    }

    [Theory]
    [InlineData("169.254.169.254", "http://169.254.169.254:7080", true)]
    [InlineData("169.254.0.0/16:7080", "http://169.254.169.254:7080", true)]
    [InlineData("metadata.google.internal", "http://metadata.google.internal", true)]
    [InlineData("0.0.0.0/0", "http://169.254.169.254:7080", false)]
    [InlineData("169.0.0.0/8", "http://169.254.169.254:7080", false)]
    [InlineData("169.254.169.254:80", "http://169.254.169.254:7080", false)]
    public void Only_an_entry_that_names_a_link_local_address_opens_it(string entry, string address, bool expected)
    {
        Assert.True(AllowedAddress.TryParse(entry, out var allowed, out var error), error);
        Assert.Equal(expected, allowed.Names(new Uri(address)));
    }
}
