using System.Text;
using AutoCapture.Functions.Sources;
using FsCheck;
using FsCheck.Fluent;

namespace AutoCapture.Tests.Sources;

/// <summary>
/// Whatever arrives, every source parser either returns alerts or says what is wrong; nothing else escapes.
/// At least 10,000 generated payloads per source, per strategy.
/// </summary>
public class SourceFuzzTests
{
    public static TheoryData<string, string> Sources => new()
    {
        { "alertmanager", "alertmanager-sample" },
        { "grafana", "grafana.json" },
        { "azuremonitor", "azure-metric.json" },
        { "azuremonitor", "azure-prometheus.json" },
    };

    private static IAlertSource SourceNamed(string name) => name switch
    {
        "alertmanager" => new AlertmanagerSource(),
        "grafana" => new GrafanaSource(),
        _ => new AzureMonitorSource(),
    };

    private static byte[] Sample(string file) =>
        file == "alertmanager-sample" ? Encoding.UTF8.GetBytes(AlertmanagerSourceTests.Payload) : Payloads.Read(file);

    private static bool ParsesOrExplains(IAlertSource source, byte[] body)
    {
        try
        {
            source.Parse(body);
            return true;
        }
        catch (AlertPayloadException e)
        {
            return e.Message.Length > 0;
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{source.Name}: {e.GetType().Name}: {e.Message} for input {Encoding.UTF8.GetString(body[..Math.Min(body.Length, 300)])}");
        }
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void The_sample_parses(string source, string file)
    {
        Assert.NotEmpty(SourceNamed(source).Parse(Sample(file)));
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void Arbitrary_bytes_never_escape_as_unexpected_exceptions(string source, string file)
    {
        _ = file;
        var parser = SourceNamed(source);
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), body => ParsesOrExplains(parser, body))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(10_000));
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void Mutated_valid_payloads_never_escape_as_unexpected_exceptions(string source, string file)
    {
        var parser = SourceNamed(source);
        var valid = Sample(file);
        var mutations = from position in Gen.Choose(0, valid.Length - 1)
                        from length in Gen.Choose(0, 16)
                        from replacement in Gen.ArrayOf(Gen.Elements<byte>((byte)'"', (byte)'{', (byte)'}', (byte)'[', (byte)']', (byte)':', (byte)',', (byte)'1', (byte)'n', (byte)'\\', 0xff, 0xc3, (byte)'a', (byte)'-'))
                        select Mutate(valid, position, length, replacement);
        Prop.ForAll(mutations.ToArbitrary(), body => ParsesOrExplains(parser, body))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(10_000));
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void Wrong_types_huge_strings_and_deep_nesting_in_any_field_are_explained(string source, string file)
    {
        var parser = SourceNamed(source);
        var valid = Encoding.UTF8.GetString(Sample(file));
        var fields = System.Text.RegularExpressions.Regex.Matches(valid, "\"([A-Za-z]+)\"\\s*:").Select(m => m.Groups[1].Value).Distinct().ToArray();
        var values = new[] { "null", "1", "-1e308", "true", "\"\"", "[]", "{}", "\"\\ud800\"", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", "{\"a\":{\"b\":[]}}", "\"" + new string('x', 70_000) + "\"", "\"Fired\"", "\"resolved\"" };
        var generator = from field in Gen.Elements(fields)
                        from value in Gen.Elements(values)
                        from occurrence in Gen.Choose(0, 3)
                        select Encoding.UTF8.GetBytes(ReplaceValue(valid, field, value, occurrence));
        Prop.ForAll(generator.ToArbitrary(), body => ParsesOrExplains(parser, body))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(10_000));
    }

    /// <summary>Replaces the value after the n-th occurrence of "field": with a raw JSON value (only simple values are replaced).</summary>
    private static string ReplaceValue(string json, string field, string value, int occurrence)
    {
        var key = $"\"{field}\"";
        var at = -1;
        for (var i = 0; i <= occurrence; i++)
        {
            var next = json.IndexOf(key, at + 1, StringComparison.Ordinal);
            if (next < 0)
            {
                break;
            }

            at = next;
        }

        var colon = json.IndexOf(':', at + key.Length);
        var start = colon + 1;
        while (start < json.Length && char.IsWhiteSpace(json[start]))
        {
            start++;
        }

        var end = start;
        if (json[start] == '"')
        {
            end = json.IndexOf('"', start + 1) + 1;
        }
        else if (json[start] is '{' or '[')
        {
            return json[..start] + value + "," + "\"_replaced\":" + json[start..];
        }
        else
        {
            while (end < json.Length && json[end] is not (',' or '}' or ']'))
            {
                end++;
            }
        }

        return json[..start] + value + json[end..];
    }

    private static byte[] Mutate(byte[] valid, int position, int length, byte[] replacement)
    {
        var end = Math.Min(valid.Length, position + length);
        return [.. valid[..position], .. replacement, .. valid[end..]];
    }
}
