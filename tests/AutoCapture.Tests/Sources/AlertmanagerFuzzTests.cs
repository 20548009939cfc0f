using System.Text;
using AutoCapture.Functions.Sources;
using FsCheck;
using FsCheck.Fluent;

namespace AutoCapture.Tests.Sources;

/// <summary>Whatever arrives, the parser either returns alerts or says what is wrong; it never throws anything else.</summary>
public class AlertmanagerFuzzTests
{
    private static readonly AlertmanagerSource Source = new();

    private static bool ParsesOrExplains(byte[] body)
    {
        try
        {
            Source.Parse(body);
            return true;
        }
        catch (AlertPayloadException e)
        {
            return e.Message.Length > 0;
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{e.GetType().Name}: {e.Message} for input {Encoding.UTF8.GetString(body[..Math.Min(body.Length, 300)])}");
        }
    }

    [Fact]
    public void Arbitrary_bytes_never_escape_as_unexpected_exceptions()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), ParsesOrExplains)
            .Check(Config.QuickThrowOnFailure.WithMaxTest(10_000));
    }

    [Fact]
    public void Mutated_valid_payloads_never_escape_as_unexpected_exceptions()
    {
        var valid = Encoding.UTF8.GetBytes(AlertmanagerSourceTests.Payload);
        var mutations = from position in Gen.Choose(0, valid.Length - 1)
                        from length in Gen.Choose(0, 16)
                        from replacement in Gen.ArrayOf(Gen.Elements<byte>((byte)'"', (byte)'{', (byte)'}', (byte)'[', (byte)']', (byte)':', (byte)',', (byte)'1', (byte)'n', (byte)'\\', 0xff, 0xc3, (byte)'a'))
                        select Mutate(valid, position, length, replacement);
        Prop.ForAll(mutations.ToArbitrary(), ParsesOrExplains)
            .Check(Config.QuickThrowOnFailure.WithMaxTest(10_000));
    }

    [Fact]
    public void Structurally_wrong_values_in_every_field_are_explained()
    {
        var fields = new[] { "version", "alerts", "status", "labels", "annotations", "startsAt", "endsAt", "fingerprint", "generatorURL", "groupKey" };
        var values = new[] { "null", "1", "true", "\"\"", "[]", "{}", "\"\\ud800\"", "{\"a\":{\"b\":[]}}", "\"" + new string('x', 70_000) + "\"" };
        var generator = from field in Gen.Elements(fields)
                        from value in Gen.Elements(values)
                        from atTop in Gen.Elements(true, false)
                        select Encoding.UTF8.GetBytes(atTop
                            ? $$"""{"version":"4","alerts":[],"{{field}}":{{value}}}"""
                            : $$"""{"version":"4","alerts":[{"status":"firing","labels":{"alertname":"a"},"startsAt":"2026-01-01T00:00:00Z","{{field}}":{{value}}}]}""");
        Prop.ForAll(generator.ToArbitrary(), ParsesOrExplains)
            .Check(Config.QuickThrowOnFailure.WithMaxTest(2_000));
    }

    private static byte[] Mutate(byte[] valid, int position, int length, byte[] replacement)
    {
        var end = Math.Min(valid.Length, position + length);
        return [.. valid[..position], .. replacement, .. valid[end..]];
    }
}
