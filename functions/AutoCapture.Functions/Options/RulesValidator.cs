using AutoCapture.Functions.Rules;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Options;

/// <summary>Settings the rules depend on: refuse to start rather than lose messages or let alerts choose where to connect.</summary>
public sealed class RulesValidator(CurrentRules rules) : IValidateOptions<AutoCaptureOptions>
{
    public ValidateOptionsResult Validate(string? name, AutoCaptureOptions options)
    {
        var failures = Problems(rules.Value, options);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Also asked of a reloaded rules file, which is refused on the same grounds as at start.</summary>
    public static List<string> Problems(RuleSet rules, AutoCaptureOptions options)
    {
        // Unknown chat channels are the loader's to report, with their line and column, among the file's other problems.
        if (options.Collector.AllowedCollectors.Count > 0)
        {
            return [];
        }

        // Alert labels are attacker-controlled: with no allowlist, whoever can send an alert picks the host the
        // signed capture request goes to.
        return [.. rules.Rules
            .Where(rule => !rule.Target.Collector.IsConstant)
            .Select(rule => $"{rules.Path}: rule '{rule.Name}' (line {rule.Line}) takes its collector address from alert data ('{rule.Target.Collector.Text}'), so AutoCapture:Collector:AllowedCollectors must list the collectors it may reach (host[:port] or CIDR[:port], e.g. AutoCapture:Collector:AllowedCollectors:0=10.1.0.0/16:7080).")];
    }
}
