using System.Text.Json;
using AutoCapture.Core.Captures;
using AutoCapture.Functions.Rules;

namespace AutoCapture.Tests.Rules;

/// <summary>docs/rules.schema.json gives editors completion; it must accept exactly what the loader accepts.</summary>
public class RulesSchemaTests
{
    private static readonly JsonElement Schema = JsonDocument.Parse(File.ReadAllText(FindSchema())).RootElement;

    private static string FindSchema()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "docs", "rules.schema.json");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("docs/rules.schema.json not found above the test directory");
    }

    private static JsonElement Definition(string name) => Schema.GetProperty("$defs").GetProperty(name);

    private static string[] PropertiesOf(JsonElement element) =>
        [.. element.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order()];

    private static string[] EnumOf(JsonElement element) =>
        [.. element.GetProperty("enum").EnumerateArray().Select(e => e.GetString()!).Order()];

    [Fact]
    public void Every_object_in_the_schema_has_exactly_the_keys_the_loader_accepts()
    {
        Assert.Equal(RulesLoader.TopKeys.Order(), PropertiesOf(Schema));
        Assert.Equal(RulesLoader.DefaultsKeys.Order(), PropertiesOf(Schema.GetProperty("properties").GetProperty("defaults")));
        Assert.Equal(RulesLoader.RuleKeys.Order(), PropertiesOf(Definition("rule")));
        Assert.Equal(RulesLoader.TargetKeys.Order(), PropertiesOf(Definition("target")));
        Assert.Equal(RulesLoader.ProcessKeys.Order(), PropertiesOf(Definition("process")));
        Assert.Equal(RulesLoader.CaptureKeys.Order(), PropertiesOf(Definition("capture").GetProperty("oneOf")[1]));
        Assert.Equal(RulesLoader.BaselineKeys.Order(), PropertiesOf(Definition("baseline")));
    }

    [Fact]
    public void Kinds_and_runtimes_in_the_schema_are_the_known_ones()
    {
        Assert.Equal(CaptureKinds.All.Order(), EnumOf(Definition("kind")));
        Assert.Equal(Runtimes.All.Order(), EnumOf(Definition("process").GetProperty("properties").GetProperty("runtime")));
    }

    [Fact]
    public void Objects_refuse_unknown_keys_like_the_loader()
    {
        foreach (var element in new[] { Schema, Definition("rule"), Definition("target"), Definition("process"), Definition("capture").GetProperty("oneOf")[1], Definition("baseline") })
        {
            Assert.False(element.GetProperty("additionalProperties").GetBoolean());
        }
    }
}
