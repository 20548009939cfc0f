using AutoCapture.Core.Captures;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace AutoCapture.Functions.Rules;

/// <summary>An invalid rules file: every problem found (warnings included), each with file, line and column, in file order.</summary>
public sealed class RulesFileException : Exception
{
    public RulesFileException(string path, IReadOnlyList<RuleProblem> problems)
        : base(string.Join(Environment.NewLine, problems.Select(p => p.Format(path))))
    {
        Problems = problems;
    }

    public RulesFileException() => Problems = [];

    public RulesFileException(string message) : base(message) => Problems = [];

    public RulesFileException(string message, Exception inner) : base(message, inner) => Problems = [];

    public IReadOnlyList<RuleProblem> Problems { get; }
}

public enum ProblemSeverity
{
    Error,

    /// <summary>Legal but risky; reported, never a reason to refuse the file.</summary>
    Warning,
}

public sealed record RuleProblem(int Line, int Column, string Message, ProblemSeverity Severity = ProblemSeverity.Error)
{
    public string Format(string path) =>
        $"{path}:{Line}:{Column}: {(Severity == ProblemSeverity.Warning ? "warning: " : string.Empty)}{Message}";
}

/// <summary>
/// Reads the YAML rules file. It walks the YAML node tree itself (rather than deserialising into classes) so
/// every problem is reported with the line and column where it is, and unknown keys are errors, not ignored typos.
/// </summary>
public sealed class RulesLoader
{
    public const int MaxDurationSeconds = 600;

    /// <summary>The keys each part of the file accepts; the JSON schema (docs/rules.schema.json) is checked against them.</summary>
    public static readonly string[] TopKeys = ["rules", "defaults"];
    public static readonly string[] DefaultsKeys = ["cooldown", "chat"];
    public static readonly string[] RuleKeys = ["name", "match", "target", "captures", "cooldown", "chat", "continue", "budget", "budgetWindow", "stormTargets", "baseline"];
    public static readonly string[] TargetKeys = ["collector", "host", "process"];
    public static readonly string[] ProcessKeys = ["runtime", "pid", "name", "commandLine", "address"];
    public static readonly string[] CaptureKeys = ["kind", "duration", "dumpType"];
    public static readonly string[] BaselineKeys = ["schedule", "targets", "peer"];

    /// <summary>The host name that stands in for every label when a template is checked at load time.</summary>
    private const string SampleHost = "sample-host";
    private readonly List<RuleProblem> _problems = [];
    private readonly List<RuleProblem> _warnings = [];
    private readonly IReadOnlyCollection<string>? _chatChannels;

    private RulesLoader(IReadOnlyCollection<string>? chatChannels) => _chatChannels = chatChannels;

    /// <param name="chatChannels">The configured chat channel names a rule may send to; null when unknown, then not checked.</param>
    public static RuleSet LoadFile(string path, IReadOnlyCollection<string>? chatChannels = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RulesFileException(path, [new RuleProblem(0, 0, $"cannot read the rules file: {e.Message}")]);
        }

        return Parse(path, text, chatChannels);
    }

    /// <summary>Checks the whole file and reports every problem in it at once, in file order.</summary>
    /// <exception cref="RulesFileException">At least one problem is an error.</exception>
    public static RuleSet Parse(string path, string text, IReadOnlyCollection<string>? chatChannels = null)
    {
        var loader = new RulesLoader(chatChannels);
        var rules = loader.ParseDocument(text);
        var warnings = InFileOrder(loader._warnings);
        if (loader._problems.Count > 0)
        {
            throw new RulesFileException(path, InFileOrder(loader._problems.Concat(warnings)));
        }

        return new RuleSet(path, rules) { Warnings = warnings };
    }

    private static List<RuleProblem> InFileOrder(IEnumerable<RuleProblem> problems) =>
        [.. problems.OrderBy(p => p.Line).ThenBy(p => p.Column)];

    private List<CaptureRule> ParseDocument(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            Problem(e.Start, $"not valid YAML: {e.InnerException?.Message ?? e.Message}");
            return [];
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // YamlDotNet fails this way, without a position, on some unclosed flow collections and stray tags (found by fuzzing).
            Problem(LastReadable(text), "not valid YAML: cannot read on after here; look for an unclosed [, { or quote");
            return [];
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            _problems.Add(new RuleProblem(1, 1, "the rules file must be a mapping with a 'rules' list"));
            return [];
        }

        CheckKeys(root, "the rules file", TopKeys);
        TimeSpan? defaultCooldown = null;
        string? defaultChat = null;
        if (Child(root, "defaults") is { } defaults)
        {
            if (defaults is YamlMappingNode defaultsMap)
            {
                CheckKeys(defaultsMap, "defaults", DefaultsKeys);
                defaultCooldown = OptionalDuration(defaultsMap, "cooldown", "defaults.cooldown", TimeSpan.FromDays(7));
                defaultChat = OptionalChat(defaultsMap, "defaults.chat");
            }
            else
            {
                Problem(defaults.Start, "defaults must be a mapping");
            }
        }

        var rulesNode = Child(root, "rules");
        if (rulesNode is not YamlSequenceNode sequence)
        {
            Problem(rulesNode?.Start ?? root.Start, "'rules' must be a list of rules");
            return [];
        }

        var rules = new List<CaptureRule>();
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            if (ParseRule(sequence.Children[i], $"rules[{i}]", defaultCooldown, defaultChat) is { } rule)
            {
                rules.Add(rule);
            }
        }

        CheckUniqueNames(sequence);
        return rules;
    }

    /// <summary>Names are part of the dedup key; checked on the raw nodes, so rules with other problems count too.</summary>
    private void CheckUniqueNames(YamlSequenceNode sequence)
    {
        var first = new Dictionary<string, Mark>(StringComparer.Ordinal);
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            if (sequence.Children[i] is YamlMappingNode map && Child(map, "name") is YamlScalarNode { Value: { Length: > 0 } name } node
                && !first.TryAdd(name, node.Start))
            {
                Problem(node.Start, $"rules[{i}].name: '{name}' is already the name of the rule at line {first[name].Line}; names must be unique");
            }
        }
    }

    private CaptureRule? ParseRule(YamlNode node, string where, TimeSpan? defaultCooldown, string? defaultChat)
    {
        if (node is not YamlMappingNode map)
        {
            Problem(node.Start, $"{where} must be a mapping with name, match, target and captures");
            return null;
        }

        var problemsBefore = _problems.Count;
        CheckKeys(map, where, RuleKeys);
        var name = RequiredScalar(map, "name", where);
        var matchers = ParseMatchers(map, where);
        var target = ParseTarget(map, where);
        var captures = ParseCaptures(map, where, target);
        var cooldown = OptionalDuration(map, "cooldown", $"{where}.cooldown", TimeSpan.FromDays(7)) ?? defaultCooldown;
        var chat = OptionalChat(map, $"{where}.chat") ?? defaultChat;
        var continueText = OptionalScalar(map, "continue", $"{where}.continue");
        var continues = false;
        if (continueText is not null && !bool.TryParse(continueText, out continues))
        {
            Problem(Child(map, "continue")!.Start, $"{where}.continue must be true or false");
        }

        var budget = OptionalCount(map, "budget", $"{where}.budget");
        var budgetWindow = OptionalDuration(map, "budgetWindow", $"{where}.budgetWindow", TimeSpan.FromDays(7));
        var stormTargets = OptionalCount(map, "stormTargets", $"{where}.stormTargets");
        var baseline = name is null || target is null ? null : ParseBaseline(map, where, name, target);
        if (_problems.Count > problemsBefore || name is null || target is null)
        {
            return null;
        }

        return new CaptureRule(name, matchers, target, captures, cooldown, chat, continues, (int)map.Start.Line)
        {
            Budget = budget,
            BudgetWindow = budgetWindow,
            StormTargets = stormTargets,
            Baseline = baseline,
        };
    }

    private List<LabelMatcher> ParseMatchers(YamlMappingNode map, string where)
    {
        var matchers = new List<LabelMatcher>();
        var node = Child(map, "match");
        if (node is null)
        {
            Problem(map.Start, $"{where}: 'match' is required (a list of matchers such as alertname = \"HighCPU\")");
            return matchers;
        }

        if (node is not YamlSequenceNode sequence || sequence.Children.Count == 0)
        {
            Problem(node.Start, node is YamlMappingNode
                ? $"{where}.match is a list of matcher strings, not a mapping: write - alertname = \"HighCPU\" rather than alertname: HighCPU"
                : $"{where}.match must be a non-empty list of matchers such as alertname = \"HighCPU\"");
            return matchers;
        }

        for (var i = 0; i < sequence.Children.Count; i++)
        {
            var item = sequence.Children[i];
            if (item is not YamlScalarNode { Value: { } text })
            {
                Problem(item.Start, $"{where}.match[{i}] must be a string such as alertname = \"HighCPU\"");
                continue;
            }

            if (LabelMatcher.TryParse(text, out var matcher, out var error))
            {
                matchers.Add(matcher!);
                if (matcher!.NestsQuantifiers)
                {
                    _warnings.Add(At(item.Start, $"{where}.match[{i}]: {matcher} repeats a group that itself repeats; such a pattern can backtrack for a long time on a label that almost matches. Every delivery gets AutoCapture:Limits:MatchBudget of regular-expression matching in all; alerts past it are skipped.", ProblemSeverity.Warning));
                }
            }
            else
            {
                Problem(item.Start, $"{where}.match[{i}]: {error}");
            }
        }

        return matchers;
    }

    private TargetTemplate? ParseTarget(YamlMappingNode map, string where)
    {
        var node = Child(map, "target");
        if (node is not YamlMappingNode target)
        {
            Problem(node?.Start ?? map.Start, $"{where}: 'target' is required, a mapping with collector and process");
            return null;
        }

        var at = $"{where}.target";
        CheckKeys(target, at, TargetKeys);
        var collector = RequiredTemplate(target, "collector", at);
        if (collector is not null && CollectorError(collector) is { } collectorError)
        {
            Problem(Child(target, "collector")!.Start, $"{at}.{collectorError}");
            collector = null;
        }

        var host = OptionalTemplate(target, "host", at);
        var processNode = Child(target, "process");
        if (processNode is not YamlMappingNode process)
        {
            Problem(processNode?.Start ?? target.Start, $"{at}: 'process' is required, a mapping with one of pid, name or commandLine");
            return null;
        }

        CheckKeys(process, $"{at}.process", ProcessKeys);
        var runtime = OptionalScalar(process, "runtime", $"{at}.process.runtime") ?? Runtimes.Dotnet;
        if (!Runtimes.All.Contains(runtime))
        {
            Problem(Child(process, "runtime")!.Start, $"{at}.process.runtime: unknown runtime '{runtime}' (known: {string.Join(", ", Runtimes.All)})");
        }

        var pid = OptionalTemplate(process, "pid", $"{at}.process");
        var name = OptionalTemplate(process, "name", $"{at}.process");
        var commandLine = OptionalTemplate(process, "commandLine", $"{at}.process");
        var address = OptionalTemplate(process, "address", $"{at}.process");
        var selectors = new[] { pid, name, commandLine, address }.Count(t => t is not null);
        if (selectors != 1)
        {
            Problem(process.Start, $"{at}.process must set exactly one of pid, name, commandLine or address (found {selectors})");
        }

        if (address is not null && runtime != Runtimes.Go)
        {
            Problem(Child(process, "address")!.Start, $"{at}.process.address is for runtime: go (a net/http/pprof server); {runtime} processes are found by pid, name or commandLine");
            return null;
        }

        if (address is { IsWholeValue: false } && !TargetAddress.TryNormalize(address.RenderSample(SampleHost), out _, out var addressError))
        {
            Problem(Child(process, "address")!.Start, address.IsConstant
                ? $"{at}.process.{addressError}"
                : $"{at}.process.address '{address.Text}' cannot render to an http(s) URL: with every label a plain host name it renders '{address.RenderSample(SampleHost)}', and {addressError}");
            return null;
        }

        return collector is null || selectors != 1 ? null : new TargetTemplate(collector, host, runtime, pid, name, commandLine, address);
    }

    private List<CaptureSpec> ParseCaptures(YamlMappingNode map, string where, TargetTemplate? target)
    {
        var specs = new List<CaptureSpec>();
        var node = Child(map, "captures");
        if (node is null)
        {
            return [new CaptureSpec(CaptureKinds.Cpu, (int)CaptureKinds.DefaultDuration(CaptureKinds.Cpu).TotalSeconds)];
        }

        if (node is not YamlSequenceNode sequence || sequence.Children.Count == 0)
        {
            Problem(node.Start, $"{where}.captures must be a non-empty list such as - kind: cpu");
            return specs;
        }

        for (var i = 0; i < sequence.Children.Count; i++)
        {
            var at = $"{where}.captures[{i}]";
            var item = sequence.Children[i];
            string? kind;
            YamlMappingNode? options = null;
            if (item is YamlScalarNode scalar)
            {
                kind = scalar.Value;
            }
            else if (item is YamlMappingNode mapping)
            {
                options = mapping;
                CheckKeys(mapping, at, CaptureKeys);
                kind = RequiredScalar(mapping, "kind", at);
            }
            else
            {
                Problem(item.Start, $"{at} must be a kind (cpu) or a mapping (kind: cpu, duration: 30s; kind: dump, dumpType: mini)");
                continue;
            }

            if (kind is null)
            {
                continue;
            }

            if (!CaptureKinds.IsKnown(kind))
            {
                Problem(item.Start, $"{at}: unknown capture kind '{kind}' (known: {string.Join(", ", CaptureKinds.All)})");
                continue;
            }

            if (target is not null && Runtimes.Unsupported(target.Runtime, target.Address is not null, kind) is { } unsupported)
            {
                Problem(item.Start, $"{at}: {unsupported}");
                continue;
            }

            if (specs.Any(s => s.Kind == kind))
            {
                Problem(item.Start, $"{at}: kind '{kind}' is listed twice");
                continue;
            }

            var duration = options is null ? null : OptionalDuration(options, "duration", $"{at}.duration", TimeSpan.FromSeconds(MaxDurationSeconds));
            if (duration is not null && !CaptureKinds.IsTimed(kind))
            {
                Problem(Child(options!, "duration")!.Start, $"{at}: kind '{kind}' is a snapshot and takes no duration");
                continue;
            }

            if (duration is { } d && d < TimeSpan.FromSeconds(1))
            {
                Problem(Child(options!, "duration")!.Start, $"{at}.duration must be at least 1s");
                continue;
            }

            var dumpType = options is null ? null : OptionalScalar(options, "dumpType", $"{at}.dumpType");
            if (dumpType is not null && (kind != CaptureKinds.Dump || !DumpTypes.All.Contains(dumpType)))
            {
                Problem(Child(options!, "dumpType")!.Start, kind != CaptureKinds.Dump
                    ? $"{at}: dumpType applies to kind 'dump' only"
                    : $"{at}.dumpType: '{dumpType}' is unknown (known: {string.Join(", ", DumpTypes.All)})");
                continue;
            }

            var seconds = CaptureKinds.IsTimed(kind) ? (int?)(int)(duration ?? CaptureKinds.DefaultDuration(kind)).TotalSeconds : null;
            specs.Add(new CaptureSpec(kind, seconds, dumpType));
        }

        return specs;
    }

    /// <summary>
    /// <c>baseline: { schedule: daily 03:00, targets: [ { label: value, … } ], peer: true }</c>. Every target is rendered
    /// with the rule's target templates now, so a label set that cannot make a target is an error here, not at 3 a.m.
    /// </summary>
    private BaselinePlan? ParseBaseline(YamlMappingNode map, string where, string rule, TargetTemplate template)
    {
        var node = Child(map, "baseline");
        if (node is null)
        {
            return null;
        }

        var at = $"{where}.baseline";
        if (node is not YamlMappingNode baseline)
        {
            Problem(node.Start, $"{at} must be a mapping with targets and a schedule, peer: true, or both");
            return null;
        }

        CheckKeys(baseline, at, BaselineKeys);
        BaselineSchedule? schedule = null;
        if (OptionalScalar(baseline, "schedule", $"{at}.schedule") is { } text && !BaselineSchedule.TryParse(text, out schedule, out var scheduleError))
        {
            Problem(Child(baseline, "schedule")!.Start, $"{at}.schedule: {scheduleError}");
        }

        var peerText = OptionalScalar(baseline, "peer", $"{at}.peer");
        var peer = false;
        if (peerText is not null && !bool.TryParse(peerText, out peer))
        {
            Problem(Child(baseline, "peer")!.Start, $"{at}.peer must be true or false");
        }

        if (schedule is null && !peer && Child(baseline, "schedule") is null)
        {
            Problem(baseline.Start, $"{at} needs a schedule (daily 03:00, every 6h), peer: true, or both");
        }

        var targets = new List<BaselineTarget>();
        var targetsNode = Child(baseline, "targets");
        if (targetsNode is not YamlSequenceNode list || list.Children.Count == 0)
        {
            Problem(targetsNode?.Start ?? baseline.Start, $"{at}.targets must be a non-empty list of label sets, e.g. - {{ instance: \"10.0.0.7:6060\" }} (the rule's target templates are rendered from them)");
            return null;
        }

        for (var i = 0; i < list.Children.Count; i++)
        {
            var item = list.Children[i];
            var itemAt = $"{at}.targets[{i}]";
            if (item is not YamlMappingNode labelsNode || labelsNode.Children.Count == 0)
            {
                Problem(item.Start, $"{itemAt} must be a mapping of label names to values");
                continue;
            }

            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in labelsNode.Children)
            {
                if (key is YamlScalarNode { Value: { Length: > 0 } label } && value is YamlScalarNode { Value: { } labelValue })
                {
                    labels[label] = labelValue;
                }
                else
                {
                    Problem(key.Start, $"{itemAt}: labels are name: value pairs of strings");
                }
            }

            if (!BaselineTarget.TryCreate(rule, template, labels, out var target, out var error))
            {
                Problem(item.Start, $"{itemAt}: cannot render the rule's target from these labels: {error}");
            }
            else if (targets.Any(t => t.Target == target!.Target))
            {
                Problem(item.Start, $"{itemAt}: renders the same target as an earlier one ({target!.Target})");
            }
            else
            {
                targets.Add(target!);
            }
        }

        if (peer && list.Children.Count < 2)
        {
            Problem(list.Start, $"{at}: peer: true needs at least two targets, so one that is not the alert's is left");
        }

        return new BaselinePlan(schedule, peer, targets);
    }

    /// <summary>Where the last YAML event that could be read ends.</summary>
    private static Mark LastReadable(string text)
    {
        var parser = new Parser(new StringReader(text));
        var mark = Mark.Empty;
        try
        {
            while (parser.MoveNext())
            {
                mark = parser.Current!.End;
            }
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException or ArgumentException)
        {
            // Stopped where the reader did.
        }

        return mark;
    }

    private int? OptionalCount(YamlMappingNode map, string key, string where)
    {
        var text = OptionalScalar(map, key, where);
        if (text is null)
        {
            return null;
        }

        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count) || count is < 1 or > 100_000)
        {
            Problem(Child(map, key)!.Start, $"{where} must be a whole number from 1 to 100000, not '{text}'");
            return null;
        }

        return count;
    }

    private static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private void CheckKeys(YamlMappingNode map, string where, string[] allowed)
    {
        foreach (var key in map.Children.Keys)
        {
            var name = (key as YamlScalarNode)?.Value ?? "?";
            if (!allowed.Contains(name, StringComparer.Ordinal))
            {
                Problem(key.Start, $"{where}: unknown key '{name}' (expected one of {string.Join(", ", allowed)})");
            }
        }
    }

    private string? RequiredScalar(YamlMappingNode map, string key, string where)
    {
        var node = Child(map, key);
        if (node is YamlScalarNode { Value: { Length: > 0 } value })
        {
            return value;
        }

        Problem(node?.Start ?? map.Start, node is null ? $"{where}: '{key}' is required" : $"{where}.{key} must be a non-empty string");
        return null;
    }

    private string? OptionalScalar(YamlMappingNode map, string key, string where)
    {
        var node = Child(map, key);
        switch (node)
        {
            case null:
                return null;
            case YamlScalarNode { Value: { Length: > 0 } value }:
                return value;
            default:
                Problem(node.Start, $"{where} must be a non-empty string");
                return null;
        }
    }

    private Template? RequiredTemplate(YamlMappingNode map, string key, string where) =>
        RequiredScalar(map, key, where) is { } text ? ParseTemplate(text, Child(map, key)!, $"{where}.{key}") : null;

    private Template? OptionalTemplate(YamlMappingNode map, string key, string where) =>
        OptionalScalar(map, key, $"{where}.{key}") is { } text ? ParseTemplate(text, Child(map, key)!, $"{where}.{key}") : null;

    private Template? ParseTemplate(string text, YamlNode node, string where)
    {
        try
        {
            return Template.Parse(text);
        }
        catch (FormatException e)
        {
            Problem(node.Start, $"{where}: {e.Message}");
            return null;
        }
    }

    private TimeSpan? OptionalDuration(YamlMappingNode map, string key, string where, TimeSpan max)
    {
        var text = OptionalScalar(map, key, where);
        if (text is null)
        {
            return null;
        }

        if (!Durations.TryParse(text, out var duration))
        {
            Problem(Child(map, key)!.Start, $"{where}: '{text}' is not a duration (write it like 30s, 10m or 1h)");
            return null;
        }

        if (duration > max)
        {
            Problem(Child(map, key)!.Start, $"{where}: {text} is longer than the maximum {Durations.Format(max)}");
            return null;
        }

        return duration;
    }

    /// <summary>
    /// A collector template must render to scheme://host[:port] for every alert. Rendered with a plain host name for
    /// every value, a template without a literal http(s) scheme, with a path or with no host fails here and not at the
    /// first alert; a template that is one label alone takes the whole address from the alert and is checked then.
    /// </summary>
    private static string? CollectorError(Template collector)
    {
        if (collector.IsWholeValue)
        {
            return null;
        }

        var sample = collector.RenderSample(SampleHost);
        if (CollectorAddress.TryParse(sample, out _, out var error))
        {
            return null;
        }

        if (collector.IsConstant)
        {
            return error;
        }

        var scheme = sample.IndexOf("://", StringComparison.Ordinal);
        var why = scheme < 0 ? "it has no scheme; start it with http:// or https://"
            : sample[..scheme] is not ("http" or "https") ? $"'{sample[..scheme]}' is not http or https"
            : "that is not scheme://host[:port] (no user, path, query or fragment)";
        return $"collector '{collector.Text}' cannot render to an http(s) address: with every label a plain host name it renders '{sample}', and {why}";
    }

    private string? OptionalChat(YamlMappingNode map, string where)
    {
        var chat = OptionalScalar(map, "chat", where);
        if (chat is not null && _chatChannels is not null && !_chatChannels.Contains(chat))
        {
            Problem(Child(map, "chat")!.Start, $"{where}: messages go to chat channel '{chat}', which is not configured (configured: {string.Join(", ", _chatChannels)}; add AutoCapture:Chat:Channels:{chat}:Type)");
        }

        return chat;
    }

    private void Problem(Mark mark, string message) => _problems.Add(At(mark, message, ProblemSeverity.Error));

    private static RuleProblem At(Mark mark, string message, ProblemSeverity severity) =>
        new((int)Math.Max(mark.Line, 1), (int)Math.Max(mark.Column, 1), message, severity);
}
