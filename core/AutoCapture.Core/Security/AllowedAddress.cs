using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace AutoCapture.Core.Security;

/// <summary>
/// An allowlist entry for network addresses (the collector's AllowedAddresses, the webhook app's AllowedCollectors). A host
/// name, an IP address or a CIDR range, optionally with a port: <c>checkout.internal:6060</c>, <c>10.1.2.3</c>,
/// <c>10.1.0.0/16:6060</c>, <c>[fd00::/8]:6060</c>. Names are compared as written, never resolved, so an entry for
/// a name does not open the addresses it resolves to, and an IP entry never matches a name.
/// </summary>
public sealed class AllowedAddress
{
    // Link-local ranges and the cloud metadata / host agent endpoints (AWS, Azure, GCP, Alibaba): they answer any
    // caller on the machine, some with credentials, so a broad entry or an empty list never opens them.
    private static readonly IPNetwork[] LinkLocalOrMetadata =
    [
        IPNetwork.Parse("169.254.0.0/16"),
        IPNetwork.Parse("fe80::/10"),
        IPNetwork.Parse("fd00:ec2::254/128"),
        IPNetwork.Parse("168.63.129.16/32"),
        IPNetwork.Parse("100.100.100.200/32"),
    ];

    private static readonly string[] MetadataNames = ["metadata.google.internal", "metadata", "instance-data"];

    private AllowedAddress(string text, string? host, IPNetwork? network, int? port)
    {
        Text = text;
        Host = host;
        Network = network;
        Port = port;
    }

    public string Text { get; }

    private string? Host { get; }

    private IPNetwork? Network { get; }

    private int? Port { get; }

    public static bool TryParse(string? text, out AllowedAddress entry, out string error)
    {
        entry = null!;
        error = string.Empty;
        if (string.IsNullOrWhiteSpace(text) || text.Contains("://", StringComparison.Ordinal))
        {
            error = $"'{text}' is not host[:port] or a CIDR range with an optional port (no scheme)";
            return false;
        }

        var (hostPart, portPart) = SplitPort(text.Trim());
        int? port = null;
        if (portPart is not null)
        {
            if (!int.TryParse(portPart, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
            {
                error = $"'{text}' has an invalid port '{portPart}'";
                return false;
            }

            port = p;
        }

        if (hostPart.Contains('/', StringComparison.Ordinal))
        {
            if (!IPNetwork.TryParse(hostPart, out var network))
            {
                error = $"'{text}': '{hostPart}' is not a CIDR range such as 10.1.0.0/16";
                return false;
            }

            entry = new AllowedAddress(text, null, network, port);
            return true;
        }

        if (IPAddress.TryParse(hostPart, out var address))
        {
            entry = new AllowedAddress(text, null, new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128), port);
            return true;
        }

        if (Uri.CheckHostName(hostPart) != UriHostNameType.Dns)
        {
            error = $"'{text}': '{hostPart}' is not a host name, an IP address or a CIDR range";
            return false;
        }

        entry = new AllowedAddress(text, hostPart.ToLowerInvariant(), null, port);
        return true;
    }

    /// <summary>Whether a normalised target address (scheme://host:port) is covered by this entry.</summary>
    public bool Allows(Uri address)
    {
        if (Port is { } port && address.Port != port)
        {
            return false;
        }

        if (Host is not null)
        {
            return address.HostNameType == UriHostNameType.Dns && string.Equals(address.IdnHost, Host, StringComparison.OrdinalIgnoreCase);
        }

        return IPAddress.TryParse(address.IdnHost.Trim('[', ']'), out var ip) && Network!.Value.Contains(ip);
    }

    /// <summary>Whether the address is link-local or a cloud metadata endpoint (by IP, IPv4-mapped IPv6 included, or by its well-known name).</summary>
    public static bool IsLinkLocalOrMetadata(Uri address)
    {
        if (address.HostNameType == UriHostNameType.Dns)
        {
            return MetadataNames.Contains(address.IdnHost.TrimEnd('.'), StringComparer.OrdinalIgnoreCase);
        }

        return IPAddress.TryParse(address.IdnHost.Trim('[', ']'), out var ip)
            && LinkLocalOrMetadata.Any(range => range.Contains(ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip));
    }

    /// <summary>
    /// Whether this entry allows a link-local or metadata address by naming it: the name itself, or a range that lies
    /// inside a link-local or metadata range. 0.0.0.0/0 covers 169.254.169.254 but does not name it.
    /// </summary>
    public bool Names(Uri address) =>
        Allows(address) && (Host is not null || LinkLocalOrMetadata.Any(range => range.PrefixLength <= Network!.Value.PrefixLength && range.Contains(Network.Value.BaseAddress)));

    public override string ToString() => Text;

    // "[fd00::1]:6060" → ("fd00::1", "6060"); "10.0.0.0/8:6060" → ("10.0.0.0/8", "6060"); "fd00::/8" stays whole.
    private static (string Host, string? Port) SplitPort(string text)
    {
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return (text, null);
            }

            var rest = text[(close + 1)..];
            return (text[1..close], rest.StartsWith(':') ? rest[1..] : rest.Length == 0 ? null : rest);
        }

        var colon = text.LastIndexOf(':');
        return colon > 0 && text.IndexOf(':', StringComparison.Ordinal) == colon ? (text[..colon], text[(colon + 1)..]) : (text, null);
    }
}
