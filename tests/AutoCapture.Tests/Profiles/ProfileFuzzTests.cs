using System.Text;
using AutoCapture.Profiles;
using AutoCapture.Profiles.Goroutines;
using AutoCapture.Profiles.Pprof;
using FsCheck;
using FsCheck.Fluent;

namespace AutoCapture.Tests.Profiles;

/// <summary>Whatever a target sends, the parsers summarise it or say what is wrong; they never throw anything else.</summary>
public sealed class ProfileFuzzTests
{
    private static readonly byte[] ValidProfile = BuildValid();

    private static byte[] BuildValid()
    {
        var p = SyntheticProfiles.Cpu();
        var main = p.Location("main.main");
        for (var i = 0; i < 50; i++)
        {
            p.Sample([i, i * 10_000_000L], p.Location($"main.f{i}", "main.g"), main);
        }

        return p.Gzipped();
    }

    private static bool PprofParsesOrExplains(byte[] data)
    {
        try
        {
            var profile = PprofProfile.Parse(data);
            PprofSummarizer.Summarize(profile);
            return true;
        }
        catch (ProfileFormatException e)
        {
            return e.Message.Length > 0;
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{e.GetType().Name}: {e.Message} for {Convert.ToHexString(data[..Math.Min(64, data.Length)])}");
        }
    }

    private static bool DumpParsesOrExplains(string text)
    {
        try
        {
            GoroutineGrouper.Summarize(GoroutineDump.Parse(text));
            return true;
        }
        catch (ProfileFormatException e)
        {
            return e.Message.Length > 0;
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{e.GetType().Name}: {e.Message} for {text[..Math.Min(300, text.Length)]}");
        }
    }

    [Fact]
    public void Arbitrary_bytes_as_a_profile_never_escape_as_unexpected_exceptions()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), PprofParsesOrExplains).Check(Config.QuickThrowOnFailure.WithMaxTest(5_000));
    }

    [Fact]
    public void Mutated_gzip_profiles_never_escape_as_unexpected_exceptions()
    {
        var mutations = from position in Gen.Choose(0, ValidProfile.Length - 1)
                        from length in Gen.Choose(0, 8)
                        from replacement in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>())
                        from cut in Gen.Choose(0, ValidProfile.Length)
                        from truncate in Gen.Elements(true, false)
                        select Mutate(ValidProfile, position, length, replacement, truncate ? cut : ValidProfile.Length);
        Prop.ForAll(mutations.ToArbitrary(), PprofParsesOrExplains).Check(Config.QuickThrowOnFailure.WithMaxTest(3_000));
    }

    [Fact]
    public void Mutated_bare_protobuf_profiles_never_escape_as_unexpected_exceptions()
    {
        var bare = new System.IO.Compression.GZipStream(new MemoryStream(ValidProfile), System.IO.Compression.CompressionMode.Decompress);
        using var copy = new MemoryStream();
        bare.CopyTo(copy);
        var valid = copy.ToArray();
        var mutations = from position in Gen.Choose(0, valid.Length - 1)
                        from length in Gen.Choose(0, 4)
                        from replacement in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>())
                        select Mutate(valid, position, length, replacement, valid.Length);
        Prop.ForAll(mutations.ToArbitrary(), PprofParsesOrExplains).Check(Config.QuickThrowOnFailure.WithMaxTest(5_000));
    }

    [Fact]
    public void Arbitrary_and_dump_shaped_text_never_escapes_as_unexpected_exceptions()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<string>(), text => DumpParsesOrExplains(text ?? string.Empty)).Check(Config.QuickThrowOnFailure.WithMaxTest(3_000));
        var pieces = new[]
        {
            "goroutine 1 [running]:", "goroutine 99999999999999999999 [x]:", "goroutine 7 [chan receive, 99999999999 minutes]:",
            "goroutine 2 []:", "goroutine 3 [, locked to thread]:", "main.f(", "main.f())", "((((", "\t/src/a.go:1 +0x1", "\t",
            "created by ", "created by main.g in goroutine x", "created by main.g in goroutine 5", "...additional frames elided...",
            "", "    /src/b.go:2", "panic: boom", "]:", "goroutine  [running]:",
        };
        var dumps = Gen.ArrayOf(Gen.Elements(pieces)).Select(lines => string.Join('\n', lines));
        Prop.ForAll(dumps.ToArbitrary(), DumpParsesOrExplains).Check(Config.QuickThrowOnFailure.WithMaxTest(5_000));
    }

    [Fact]
    public void Mutated_real_dumps_never_escape_as_unexpected_exceptions()
    {
        var valid = GoroutineDumpTests.Dump;
        var mutations = from position in Gen.Choose(0, valid.Length - 1)
                        from length in Gen.Choose(0, 12)
                        from replacement in Gen.ArrayOf(Gen.Elements('[', ']', '(', ')', ':', ',', '\n', '\t', ' ', '9', 'x', '…'))
                        select valid[..position] + new string(replacement) + valid[Math.Min(valid.Length, position + length)..];
        Prop.ForAll(mutations.ToArbitrary(), DumpParsesOrExplains).Check(Config.QuickThrowOnFailure.WithMaxTest(5_000));
    }

    private static byte[] Mutate(byte[] valid, int position, int length, byte[] replacement, int cut)
    {
        var mutated = new List<byte>(valid.Length + replacement.Length);
        mutated.AddRange(valid.AsSpan(0, position));
        mutated.AddRange(replacement);
        mutated.AddRange(valid.AsSpan(Math.Min(valid.Length, position + length)));
        return [.. mutated.Take(Math.Min(cut, mutated.Count))];
    }

    [Fact]
    public void The_valid_inputs_the_mutations_start_from_do_parse()
    {
        Assert.Equal(50, PprofSummarizer.Summarize(PprofProfile.Parse(ValidProfile)).SampleCount);
        Assert.Equal(6, GoroutineDump.Parse(Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(GoroutineDumpTests.Dump))).Count);
    }
}
