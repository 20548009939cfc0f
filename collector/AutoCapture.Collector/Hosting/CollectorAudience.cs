using System.Net;
using System.Net.NetworkInformation;
using AutoCapture.Collector.Options;

namespace AutoCapture.Collector.Hosting;

/// <summary>
/// The names a signed request may give this collector as its audience, so a request harvested on its way to one
/// collector is refused by every other. Configured <see cref="CollectorOptions.Audiences"/> are exact (host:port, or a
/// host for any port); without them, this machine's own names: its host name (and names under it, such as its FQDN),
/// localhost, loopback addresses, and the addresses of its network interfaces.
/// </summary>
public sealed class CollectorAudience
{
    private readonly List<string> _configured;
    private readonly HashSet<string> _hosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly string _machine = Dns.GetHostName();

    public CollectorAudience(CollectorOptions options)
    {
        _configured = [.. options.Audiences.Select(a => a.Trim().ToLowerInvariant())];
        _hosts.Add("localhost");
        _hosts.Add(_machine);
        foreach (var address in NetworkInterface.GetAllNetworkInterfaces().SelectMany(n => n.GetIPProperties().UnicastAddresses))
        {
            _hosts.Add(Host(address.Address));
        }
    }

    public bool Accepts(string audience)
    {
        if (!Uri.TryCreate($"http://{audience}", UriKind.Absolute, out var uri) || uri.PathAndQuery != "/" || uri.UserInfo.Length > 0)
        {
            return false;
        }

        var host = uri.IdnHost.ToLowerInvariant();
        if (_configured.Count > 0)
        {
            return _configured.Contains($"{host}:{uri.Port}") || _configured.Contains(host);
        }

        return _hosts.Contains(host) || host.StartsWith(_machine + ".", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
    }

    // IdnHost writes IPv6 without brackets and without a scope id; the interfaces' addresses must read the same way.
    private static string Host(IPAddress address) =>
        (address.IsIPv6LinkLocal ? new IPAddress(address.GetAddressBytes()) : address).ToString().ToLowerInvariant();
}
