using System.Text;
using AutoCapture.Core.Captures;
using AutoCapture.Diffs;
using FsCheck;
using FsCheck.Fluent;

namespace AutoCapture.Tests.Diffs;

/// <summary>Whatever the stored artifacts hold, a diff finishes: a kind it cannot read becomes a note, nothing escapes.</summary>
public sealed class DiffFuzzTests
{
    private static readonly string[] JsonPieces = ["{", "}", "[", "]", "\"functions\":", "\"types\":", "\"name\":", "\"flat\":", "1", "-5", "null", "\"x\"", ",", ":", "\"shared\":{\"frames\":[]}", "\"profiles\":[{\"events\":[{\"frame\":\"a\"}]}]", "1e400"];

    private static bool DiffFinishes(string runtime, Dictionary<string, byte[]> incidentFiles, Dictionary<string, byte[]> baselineFiles, string[] kinds)
    {
        var incident = new MemoryCapture(MemoryCapture.NewManifest("20260101-00000000000000a9", runtime, null, kinds), incidentFiles);
        var baseline = new MemoryCapture(MemoryCapture.NewManifest("20260101-00000000000000b9", runtime, null, kinds), baselineFiles);
        try
        {
            var diff = CaptureDiffer.DiffAsync(incident, baseline, "chosen", new MemoryWriter(), CancellationToken.None).GetAwaiter().GetResult();
            return diff.Notes.All(n => n.Length > 0);
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{e.GetType().Name}: {e.Message}");
        }
    }

    [Fact]
    public void Arbitrary_bytes_in_go_artifacts_become_notes()
    {
        var bytes = ArbMap.Default.GeneratorFor<byte[]>();
        var files = from cpu in bytes
                    from dump in bytes
                    from other in bytes
                    select (cpu, dump, other);
        Prop.ForAll(files.ToArbitrary(), f => DiffFinishes(
            Runtimes.Go,
            new() { ["cpu.pb.gz"] = f.cpu, ["goroutines.txt"] = f.dump },
            new() { ["cpu.pb.gz"] = f.other, ["goroutines.txt"] = Encoding.UTF8.GetBytes(GroupComparerTests.Dump(2, 2)) },
            ["cpu", "goroutines"])).Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }

    [Fact]
    public void Json_shaped_garbage_in_dotnet_artifacts_becomes_notes()
    {
        var whole = Gen.Elements(
            "{}", "null", "[]", "{\"functions\":null}", "{\"functions\":[null]}", "{\"types\":[null]}", "{\"types\":[{\"bytes\":1}]}",
            "{\"sampleType\":\"s\",\"unit\":\"u\",\"total\":1,\"functions\":[{\"name\":\"a\",\"flat\":1,\"cum\":1},{\"name\":\"a\",\"flat\":-1,\"cum\":9}]}",
            "{\"totalBytes\":1,\"types\":[{\"name\":\"T\",\"bytes\":1,\"objects\":1},{\"name\":\"T\",\"bytes\":2,\"objects\":2}]}",
            "{\"shared\":{\"frames\":[{\"name\":\"f\"}]},\"profiles\":[{\"name\":3,\"samples\":[[0,\"x\"]]}]}",
            "{\"shared\":{\"frames\":[]},\"profiles\":[{\"events\":[{\"frame\":99999999999}]}]}");
        var json = Gen.OneOf(whole, Gen.ArrayOf(Gen.Elements(JsonPieces)).Select(parts => string.Concat(parts))).Select(Encoding.UTF8.GetBytes);
        var files = from functions in json
                    from types in json
                    from speedscope in json
                    select (functions, types, speedscope);
        Prop.ForAll(files.ToArbitrary(), f => DiffFinishes(
            Runtimes.Dotnet,
            new() { ["cpu.functions.json"] = f.functions, ["heap.types.json"] = f.types, ["cpu.speedscope.json"] = f.speedscope },
            new() { ["cpu.functions.json"] = f.types, ["heap.types.json"] = f.functions, ["cpu.speedscope.json"] = f.speedscope },
            ["cpu", "heap", "stacks", "counters"])).Check(Config.QuickThrowOnFailure.WithMaxTest(1_000));
    }
}
