namespace AutoCapture.Functions.Rules;

/// <summary>
/// The rules in force. A reload swaps the whole set, so each delivery or housekeeping pass that reads
/// <see cref="Value"/> once works with one version throughout.
/// </summary>
public sealed class CurrentRules(RuleSet initial)
{
    private volatile RuleSet _value = initial;

    public RuleSet Value => _value;

    internal void Replace(RuleSet rules) => _value = rules;
}
