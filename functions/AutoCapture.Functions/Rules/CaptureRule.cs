using System.Globalization;
using AutoCapture.Core.Alerts;
using AutoCapture.Core.Captures;

namespace AutoCapture.Functions.Rules;

/// <summary>One rule of the rules file: which alerts it matches, where to capture, and what.</summary>
public sealed record CaptureRule(
    string Name,
    IReadOnlyList<LabelMatcher> Matchers,
    TargetTemplate Target,
    IReadOnlyList<CaptureSpec> Captures,
    TimeSpan? Cooldown,
    string? Chat,
    bool Continue,
    int Line)
{
    /// <summary>Overrides AutoCapture:Limits:RuleBudget for this rule.</summary>
    public int? Budget { get; init; }

    public TimeSpan? BudgetWindow { get; init; }

    /// <summary>Overrides AutoCapture:Limits:StormTargets for this rule.</summary>
    public int? StormTargets { get; init; }

    /// <summary>Healthy captures to compare this rule's captures with (scheduled, or a peer alongside each alert).</summary>
    public BaselinePlan? Baseline { get; init; }

    public bool Matches(Alert alert) => Matchers.All(m => m.Matches(alert.Labels));
}

/// <summary>The target part of a rule, with templates filled from each alert.</summary>
public sealed record TargetTemplate(Template Collector, Template? Host, string Runtime, Template? Pid, Template? ProcessName, Template? CommandLine, Template? Address = null)
{
    private (string Address, string Host)? _constantCollector;

    public bool TryRender(Alert alert, out CaptureTarget? target, out string error)
    {
        target = null;
        if (!TryRenderCollector(alert, out var collector, out error))
        {
            return false;
        }

        var host = collector.Host;
        if (Host is not null && !Host.TryRender(alert, out host, out error))
        {
            error = $"host: {error}";
            return false;
        }

        ProcessSelector process;
        if (Pid is not null)
        {
            if (!Pid.TryRender(alert, out var pidText, out error))
            {
                error = $"process.pid: {error}";
                return false;
            }

            if (!int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0)
            {
                error = $"process.pid '{pidText}' is not a process id";
                return false;
            }

            process = new ProcessSelector(Runtime, Pid: pid);
        }
        else if (ProcessName is not null)
        {
            if (!ProcessName.TryRender(alert, out var name, out error))
            {
                error = $"process.name: {error}";
                return false;
            }

            process = new ProcessSelector(Runtime, Name: name);
        }
        else if (Address is not null)
        {
            if (!Address.TryRender(alert, out var rendered, out error))
            {
                error = $"process.address: {error}";
                return false;
            }

            if (!TargetAddress.TryNormalize(rendered, out var address, out var addressError))
            {
                error = $"process.{addressError}";
                return false;
            }

            process = new ProcessSelector(Runtime, Address: TargetAddress.Format(address));
        }
        else
        {
            if (!CommandLine!.TryRender(alert, out var commandLine, out error))
            {
                error = $"process.commandLine: {error}";
                return false;
            }

            process = new ProcessSelector(Runtime, CommandLine: commandLine);
        }

        target = new CaptureTarget(collector.Address, host, process);
        return true;
    }

    private bool TryRenderCollector(Alert alert, out (string Address, string Host) collector, out string error)
    {
        // Most rules name one collector address; parse it once rather than for every alert.
        if (_constantCollector is { } constant)
        {
            collector = constant;
            error = string.Empty;
            return true;
        }

        collector = default;
        if (!Collector.TryRender(alert, out var text, out error))
        {
            error = $"collector: {error}";
            return false;
        }

        if (!CollectorAddress.TryParse(text, out collector, out error))
        {
            return false;
        }

        if (Collector.IsConstant)
        {
            _constantCollector = collector;
        }

        return true;
    }
}

public sealed record RuleSet(string Path, IReadOnlyList<CaptureRule> Rules)
{
    /// <summary>Legal but risky parts of the file, in file order; <c>rules validate</c> shows them.</summary>
    public IReadOnlyList<RuleProblem> Warnings { get; init; } = [];

    /// <summary>Rules are tried in order; the first match wins unless it says <c>continue: true</c>, as in Alertmanager routes.</summary>
    public IEnumerable<CaptureRule> Match(Alert alert)
    {
        foreach (var rule in Rules)
        {
            if (rule.Matches(alert))
            {
                yield return rule;
                if (!rule.Continue)
                {
                    yield break;
                }
            }
        }
    }
}
