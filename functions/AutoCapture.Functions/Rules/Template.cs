using System.Text;
using System.Text.RegularExpressions;
using AutoCapture.Core.Alerts;

namespace AutoCapture.Functions.Rules;

/// <summary>
/// A rule template: literal text with <c>{{ … }}</c> expressions taken from the alert, e.g.
/// <c>http://{{ labels.instance | host }}:7080</c>. Expressions: <c>labels.NAME</c>, <c>annotations.NAME</c>,
/// <c>alert.name</c>, <c>alert.fingerprint</c>. Filters: <c>host</c> (keep only the host name or IP of an
/// address; anything else is an error), <c>default "value"</c> (used when the value is missing or empty).
/// </summary>
public sealed partial class Template
{
    private readonly IReadOnlyList<Segment> _segments;

    private Template(string text, IReadOnlyList<Segment> segments)
    {
        Text = text;
        _segments = segments;
    }

    public string Text { get; }

    public bool IsConstant => _segments.All(s => s.Expression is null);

    /// <summary>One expression and nothing else (no <c>| host</c>): the whole value, scheme included, comes from the alert.</summary>
    public bool IsWholeValue => _segments is [{ Expression: { } e }] && e.Filters.All(f => f.Filter != "host");

    /// <summary>
    /// The text with every expression replaced by <paramref name="hostName"/>: a plain host name passes every filter,
    /// so this shows the shape every alert's rendering has, e.g. whether it can be an http(s) URL at all.
    /// </summary>
    public string RenderSample(string hostName) => string.Concat(_segments.Select(s => s.Literal ?? hostName));

    private sealed record Segment(string? Literal, Expression? Expression);

    private sealed record Expression(string Scope, string? Name, IReadOnlyList<(string Filter, string? Argument)> Filters)
    {
        public string Describe() => Scope == "alert" ? $"alert.{Name}" : $"{Scope}.{Name}";
    }

    [GeneratedRegex(@"^\s*(?<scope>labels|annotations|alert)\.(?<name>[a-zA-Z_][a-zA-Z0-9_]*)\s*(?<filters>(\|\s*[a-z]+(\s+""[^""]*"")?\s*)*)$", RegexOptions.CultureInvariant)]
    private static partial Regex ExpressionShape();

    [GeneratedRegex(@"\|\s*(?<filter>[a-z]+)(\s+""(?<arg>[^""]*)"")?", RegexOptions.CultureInvariant)]
    private static partial Regex FilterShape();

    public static Template Parse(string text)
    {
        var segments = new List<Segment>();
        var position = 0;
        while (position < text.Length)
        {
            var open = text.IndexOf("{{", position, StringComparison.Ordinal);
            if (open < 0)
            {
                segments.Add(new Segment(text[position..], null));
                break;
            }

            if (open > position)
            {
                segments.Add(new Segment(text[position..open], null));
            }

            var close = text.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException($"template '{text}' has '{{{{' without a closing '}}}}'");
            }

            segments.Add(new Segment(null, ParseExpression(text[(open + 2)..close], text)));
            position = close + 2;
        }

        if (segments.Any(s => s.Literal?.Contains("}}", StringComparison.Ordinal) == true))
        {
            throw new FormatException($"template '{text}' has '}}}}' without an opening '{{{{'");
        }

        return new Template(text, segments);
    }

    private static Expression ParseExpression(string body, string text)
    {
        var match = ExpressionShape().Match(body);
        if (!match.Success)
        {
            throw new FormatException($"template '{text}': '{{{{{body}}}}}' is not an expression; use labels.NAME, annotations.NAME or alert.name, optionally | host or | default \"value\"");
        }

        var scope = match.Groups["scope"].Value;
        var name = match.Groups["name"].Value;
        if (scope == "alert" && name is not ("name" or "fingerprint"))
        {
            throw new FormatException($"template '{text}': alert.{name} is unknown; use alert.name or alert.fingerprint");
        }

        var filters = new List<(string, string?)>();
        foreach (Match filter in FilterShape().Matches(match.Groups["filters"].Value))
        {
            var filterName = filter.Groups["filter"].Value;
            var argument = filter.Groups["arg"].Success ? filter.Groups["arg"].Value : null;
            switch (filterName)
            {
                case "host" when argument is null:
                    break;
                case "default" when argument is not null:
                    break;
                case "host":
                    throw new FormatException($"template '{text}': filter 'host' takes no argument");
                case "default":
                    throw new FormatException($"template '{text}': filter 'default' needs a quoted value, e.g. default \"web\"");
                default:
                    throw new FormatException($"template '{text}': unknown filter '{filterName}' (known: host, default)");
            }

            filters.Add((filterName, argument));
        }

        return new Expression(scope, name, filters);
    }

    /// <summary>Renders against an alert; a missing value without a default is an error naming it.</summary>
    public bool TryRender(Alert alert, out string value, out string error)
    {
        // Most templates are one placeholder ("{{ labels.pod }}"): its value is the result, with no builder to fill.
        if (_segments.Count == 1)
        {
            return TryResolve(_segments[0], alert, out value, out error);
        }

        var builder = new StringBuilder();
        foreach (var segment in _segments)
        {
            if (!TryResolve(segment, alert, out var resolved, out error))
            {
                value = string.Empty;
                return false;
            }

            builder.Append(resolved);
        }

        value = builder.ToString();
        error = string.Empty;
        return true;
    }

    private static bool TryResolve(Segment segment, Alert alert, out string value, out string error)
    {
        value = string.Empty;
        error = string.Empty;
        if (segment.Expression is not { } expression)
        {
            value = segment.Literal!;
            return true;
        }

        var resolved = expression.Scope switch
        {
            "labels" => alert.Labels.GetValueOrDefault(expression.Name!),
            "annotations" => alert.Annotations.GetValueOrDefault(expression.Name!),
            _ => expression.Name == "name" ? alert.Name : alert.Fingerprint,
        };
        foreach (var (filter, argument) in expression.Filters)
        {
            if (filter == "host" && !string.IsNullOrEmpty(resolved))
            {
                // Label values are attacker-controlled: whatever is not a plain host name or IP is refused, not
                // passed on, so "10.0.0.1:22#" cannot smuggle a port, path or fragment into the address it fills.
                resolved = HostOf(resolved);
                if (resolved is null)
                {
                    error = $"{expression.Describe()} on alert {alert.Name} has no plain host name or IP address for '| host'";
                    return false;
                }
            }
            else if (filter == "default" && string.IsNullOrEmpty(resolved))
            {
                resolved = argument;
            }
        }

        if (string.IsNullOrEmpty(resolved))
        {
            error = $"{expression.Describe()} is not set on alert {alert.Name}";
            return false;
        }

        value = resolved;
        return true;
    }

    /// <summary>"http://web-3:9100/metrics" or "web-3:9100" → "web-3"; "[::1]:80" → "::1"; null when what is left is no host name or IP.</summary>
    internal static string? HostOf(string address)
    {
        var rest = address;
        var scheme = rest.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            rest = rest[(scheme + 3)..];
        }

        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            rest = rest[..slash];
        }

        string host;
        if (rest.StartsWith('['))
        {
            var end = rest.IndexOf(']', StringComparison.Ordinal);
            host = end > 0 ? rest[1..end] : rest;
        }
        else
        {
            var colon = rest.LastIndexOf(':');
            host = colon >= 0 && rest.IndexOf(':', StringComparison.Ordinal) == colon ? rest[..colon] : rest;
        }

        return Uri.CheckHostName(host) is UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6 ? host : null;
    }

    public override string ToString() => Text;
}
