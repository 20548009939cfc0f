using System.Text;
using System.Text.RegularExpressions;

namespace AutoCapture.Functions.Rules;

public enum MatchOperator
{
    Equal,
    NotEqual,
    Regex,
    NotRegex,
}

/// <summary>
/// An Alertmanager-style matcher such as <c>alertname = "HighCPU"</c> or <c>service =~ "checkout|cart"</c>.
/// Regexes are fully anchored, as in Alertmanager; a missing label matches as the empty string.
/// </summary>
public sealed partial class LabelMatcher
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(100);
    private readonly Regex? _regex;

    private LabelMatcher(string name, MatchOperator op, string value)
    {
        Name = name;
        Operator = op;
        Value = value;
        if (op is MatchOperator.Regex or MatchOperator.NotRegex)
        {
            _regex = new Regex($"^(?:{value})\\z", RegexOptions.CultureInvariant, RegexTimeout);
            NestsQuantifiers = HasNestedQuantifier(value);
        }
    }

    /// <summary>
    /// A regular expression with a repeated group that itself repeats, like <c>(a+)+</c>: it can backtrack
    /// exponentially on a label that almost matches. Legal, but <c>rules validate</c> warns about it.
    /// </summary>
    public bool NestsQuantifiers { get; }

    private static bool HasNestedQuantifier(string pattern)
    {
        // One flag per open group: whether something inside it repeats.
        var groups = new Stack<bool>();
        for (var i = 0; i < pattern.Length; i++)
        {
            switch (pattern[i])
            {
                case '\\':
                    i++;
                    break;
                case '[':
                    for (i++; i < pattern.Length && pattern[i] != ']'; i++)
                    {
                        i += pattern[i] == '\\' ? 1 : 0;
                    }

                    break;
                case '(':
                    groups.Push(false);
                    break;
                case ')' when groups.Count > 0:
                    var innerRepeats = groups.Pop();
                    var repeated = i + 1 < pattern.Length && pattern[i + 1] is '*' or '+' or '{';
                    if (innerRepeats && repeated)
                    {
                        return true;
                    }

                    if ((innerRepeats || repeated) && groups.Count > 0)
                    {
                        groups.Pop();
                        groups.Push(true);
                    }

                    break;
                case '*' or '+' or '{' when groups.Count > 0:
                    groups.Pop();
                    groups.Push(true);
                    break;
            }
        }

        return false;
    }

    public string Name { get; }

    public MatchOperator Operator { get; }

    public string Value { get; }

    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        var actual = labels.TryGetValue(Name, out var v) ? v : string.Empty;
        return Operator switch
        {
            MatchOperator.Equal => actual == Value,
            MatchOperator.NotEqual => actual != Value,
            MatchOperator.Regex => SafeIsMatch(actual),
            _ => !SafeIsMatch(actual),
        };
    }

    private bool SafeIsMatch(string input)
    {
        try
        {
            return _regex!.IsMatch(input);
        }
        catch (RegexMatchTimeoutException)
        {
            // A pathological label value never matches rather than stalling the webhook.
            return false;
        }
    }

    // The operator is taken greedily, so a slip like == or ~= is named as a wrong operator rather than read as
    // = followed by a strange value.
    [GeneratedRegex(@"^\s*(?<name>[a-zA-Z_][a-zA-Z0-9_]*)\s*(?<op>[=!~<>]+)\s*(?<value>.*?)\s*$", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex Shape();

    /// <summary>Parses one matcher; the error says what is wrong in words.</summary>
    public static bool TryParse(string text, out LabelMatcher? matcher, out string error)
    {
        matcher = null;
        var match = Shape().Match(text);
        if (!match.Success)
        {
            error = $"'{text}' is not a matcher; write it as label op \"value\" with op one of =, !=, =~, !~ (e.g. alertname = \"HighCPU\")";
            return false;
        }

        MatchOperator? op = match.Groups["op"].Value switch
        {
            "=" => MatchOperator.Equal,
            "!=" => MatchOperator.NotEqual,
            "=~" => MatchOperator.Regex,
            "!~" => MatchOperator.NotRegex,
            _ => null,
        };
        if (op is null)
        {
            error = OperatorSlip(text, match.Groups["op"].Value);
            return false;
        }

        if (!TryUnquote(match.Groups["value"].Value, out var value, out error))
        {
            return false;
        }

        if (op is MatchOperator.Regex or MatchOperator.NotRegex && RegexError(value) is { } regexError)
        {
            error = $"'{text}': invalid regular expression: {regexError}";
            return false;
        }

        matcher = new LabelMatcher(match.Groups["name"].Value, op.Value, value);
        error = string.Empty;
        return true;
    }

    private static string OperatorSlip(string text, string op)
    {
        var hint = op switch
        {
            "==" => "use = for equality (Alertmanager matcher syntax)",
            "!==" => "use != for inequality (Alertmanager matcher syntax)",
            "~=" or "==~" => "use =~ for a regular-expression match",
            "=!" or "~!" or "!=~" => "use !~ for a regular-expression non-match",
            _ => "the operators are =, !=, =~ and !~",
        };
        return $"'{text}': '{op}' is not a matcher operator; {hint}, e.g. alertname = \"HighCPU\"";
    }

    /// <summary>Checks the pattern as written, not the anchored one compiled, so the offset points into what the user wrote.</summary>
    private static string? RegexError(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.CultureInvariant);
            return null;
        }
        catch (RegexParseException e)
        {
            return e.Message;
        }
    }

    private static bool TryUnquote(string raw, out string value, out string error)
    {
        error = string.Empty;
        if (raw.Length >= 2 && raw[0] == '\'' && raw[^1] == '\'')
        {
            // Taken literally, the quotes would become part of the value and the matcher would never match.
            value = string.Empty;
            error = $"value {raw} is in single quotes; matchers quote with double quotes, e.g. name = \"{raw[1..^1]}\"";
            return false;
        }

        if (raw.Length < 2 || raw[0] != '"')
        {
            if (raw.AsSpan().IndexOfAny("\"=!~") >= 0)
            {
                value = string.Empty;
                error = $"value {raw} contains a quote or an operator character; quote the value, e.g. name = \"value\"";
                return false;
            }

            value = raw;
            return true;
        }

        if (raw[^1] != '"')
        {
            value = string.Empty;
            error = $"value {raw} has no closing quote";
            return false;
        }

        var builder = new StringBuilder(raw.Length);
        for (var i = 1; i < raw.Length - 1; i++)
        {
            var c = raw[i];
            if (c == '\\' && i + 1 < raw.Length - 1)
            {
                var next = raw[++i];
                builder.Append(next switch { 'n' => '\n', 't' => '\t', _ => next });
            }
            else if (c == '"')
            {
                value = string.Empty;
                error = $"value {raw} has an unescaped quote inside";
                return false;
            }
            else
            {
                builder.Append(c);
            }
        }

        value = builder.ToString();
        return true;
    }

    public override string ToString()
    {
        var op = Operator switch
        {
            MatchOperator.Equal => "=",
            MatchOperator.NotEqual => "!=",
            MatchOperator.Regex => "=~",
            _ => "!~",
        };
        return $"{Name}{op}\"{Value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"";
    }
}
