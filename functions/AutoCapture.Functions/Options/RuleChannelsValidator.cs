using AutoCapture.Functions.Rules;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Options;

/// <summary>A rule that names a chat channel nobody configured would lose its messages: refuse to start instead.</summary>
public sealed class RuleChannelsValidator(RuleSet rules) : IValidateOptions<AutoCaptureOptions>
{
    public ValidateOptionsResult Validate(string? name, AutoCaptureOptions options)
    {
        var channels = options.Chat.AllChannels();
        var failures = rules.Rules
            .Where(rule => rule.Chat is { } chat && !channels.ContainsKey(chat))
            .Select(rule => $"{rules.Path}: rule '{rule.Name}' (line {rule.Line}) sends to chat channel '{rule.Chat}', which is not configured (configured: {string.Join(", ", channels.Keys)}; add AutoCapture:Chat:Channels:{rule.Chat}:Type).")
            .ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
