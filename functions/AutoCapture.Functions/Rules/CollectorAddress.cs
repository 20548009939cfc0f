using System.Text.RegularExpressions;

namespace AutoCapture.Functions.Rules;

/// <summary>
/// A collector address as rules render it: exactly <c>scheme://host[:port]</c>. Labels fill it, and labels are
/// attacker-controlled, so a path, query, fragment or credentials are refused rather than dropped: dropping
/// "#:7080" from "http://10.0.0.1:22#:7080" would quietly send the signed request to port 22.
/// </summary>
public static partial class CollectorAddress
{
    [GeneratedRegex(@"^https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?/?\z", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();

    /// <summary>The canonical address (<c>scheme://host[:port]</c>, default port omitted) and its host.</summary>
    public static bool TryParse(string text, out (string Address, string Host) collector, out string error)
    {
        collector = default;
        if (!Shape().IsMatch(text)
            || !Uri.TryCreate(text, UriKind.Absolute, out var uri)
            || uri.HostNameType is not (UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6))
        {
            error = $"collector '{text}' is not an http(s) address of the form scheme://host[:port] (no user, path, query or fragment)";
            return false;
        }

        collector = (uri.GetLeftPart(UriPartial.Authority), uri.Host);
        error = string.Empty;
        return true;
    }
}
