using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AutoCapture.Core.Captures;
using AutoCapture.Functions.Rules;
using Json.Schema;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace AutoCapture.Tests.Rules;

/// <summary>docs/rules.schema.json gives editors completion; it must accept exactly what the loader accepts.</summary>
public class RulesSchemaTests
{
    private static readonly string Root = FindRoot();
    private static readonly string SchemaText = File.ReadAllText(Path.Combine(Root, "docs", "rules.schema.json"));
    private static readonly JsonElement Schema = JsonDocument.Parse(SchemaText).RootElement;
    private static readonly JsonSchema Validator = JsonSchema.FromText(SchemaText);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "docs", "rules.schema.json")))
            {
                return directory.FullName;
            }
        }

        throw new FileNotFoundException("docs/rules.schema.json not found above the test directory");
    }

    /// <summary>Every rules file in the repository (a YAML file with a top-level rules: list) and every rules example in docs/*.md.</summary>
    public static TheoryData<string, int> Examples()
    {
        var examples = new TheoryData<string, int>();
        foreach (var file in Directory.EnumerateFiles(Root, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or "node_modules" or ".git"))
            .Where(f => Regex.IsMatch(File.ReadAllText(f), "^rules:", RegexOptions.Multiline))
            .Order(StringComparer.Ordinal))
        {
            examples.Add(Path.GetRelativePath(Root, file), 0);
        }

        foreach (var doc in Directory.EnumerateFiles(Path.Combine(Root, "docs"), "*.md").Order(StringComparer.Ordinal))
        {
            for (var i = 0; i < YamlBlocks(File.ReadAllText(doc)).Count; i++)
            {
                examples.Add(Path.GetRelativePath(Root, doc), i + 1);
            }
        }

        return examples;
    }

    private static List<string> YamlBlocks(string markdown) =>
        [.. Regex.Matches(markdown, "^```yaml\\n(?<body>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)
            .Select(m => m.Groups["body"].Value)
            .Where(body => Regex.IsMatch(body, "^rules:", RegexOptions.Multiline))];

    private static string ExampleText(string file, int block) =>
        block == 0 ? File.ReadAllText(Path.Combine(Root, file)) : YamlBlocks(File.ReadAllText(Path.Combine(Root, file)))[block - 1];

    /// <summary>YAML as a JSON editor sees it: plain true/false and whole numbers are typed, everything else is a string.</summary>
    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, ToJson(c.Value)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(ToJson)]),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: "true" or "false" } b => JsonValue.Create(b.Value == "true"),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: { } v } when long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) => JsonValue.Create(n),
        YamlScalarNode scalar => JsonValue.Create(scalar.Value),
        _ => throw new InvalidOperationException($"unexpected YAML node {node.NodeType}"),
    };

    private static EvaluationResults AgainstSchema(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var instance = JsonSerializer.SerializeToElement(ToJson(stream.Documents[0].RootNode));
        return Validator.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
    }

    private static string Errors(EvaluationResults results) =>
        string.Join("; ", (results.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));

    [Theory]
    [MemberData(nameof(Examples))]
    public void Every_example_rules_file_loads_and_validates_against_the_schema(string file, int block)
    {
        var yaml = ExampleText(file, block);

        RulesLoader.Parse(file, yaml);
        var results = AgainstSchema(yaml);
        Assert.True(results.IsValid, $"{file} block {block}: {Errors(results)}");
    }

    [Theory]
    [InlineData("    captures:", "    capture:", "unknown key 'capture'")]
    [InlineData("alertname = ", "alertname == ", "use = for equality")]
    [InlineData("duration: 30s", "duration: soon", "is not a duration")]
    public void The_schema_check_refuses_what_the_loader_refuses(string from, string to, string loaderSays)
    {
        var example = Path.Combine("infra", "azure", "rules.yaml");
        Assert.Contains(Examples(), row => (string)row[0] == example);
        var yaml = ExampleText(example, 0).Replace(from, to, StringComparison.Ordinal);

        Assert.Contains(loaderSays, Assert.Throws<RulesFileException>(() => RulesLoader.Parse("rules.yaml", yaml)).Message, StringComparison.Ordinal);
        Assert.False(AgainstSchema(yaml).IsValid);
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
        Assert.Equal(DumpTypes.All.Order(), EnumOf(Definition("capture").GetProperty("oneOf")[1].GetProperty("properties").GetProperty("dumpType")));
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
