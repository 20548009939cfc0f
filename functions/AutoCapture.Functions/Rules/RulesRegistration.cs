using AutoCapture.Functions.Options;
using Microsoft.Extensions.Options;

namespace AutoCapture.Functions.Rules;

public static class RulesRegistration
{
    /// <summary>
    /// Loads the rules before anything starts, so a broken file stops start-up with its line numbers; rules kept in a
    /// blob (<c>AutoCapture:Rules:BlobUri</c>) are then reloaded whenever the blob changes.
    /// </summary>
    /// <exception cref="RulesFileException">The rules are missing or invalid.</exception>
    /// <exception cref="OptionsValidationException">The rules source settings are invalid.</exception>
    public static IServiceCollection AddAutoCaptureRules(this IServiceCollection services, IConfigurationSection section)
    {
        var source = section.GetSection(nameof(AutoCaptureOptions.Rules)).Get<RulesSourceOptions>() ?? new();
        var channels = ChatChannelNames(section);
        if (!source.IsBlob)
        {
            var rulesFile = section[nameof(AutoCaptureOptions.RulesFile)] ?? new AutoCaptureOptions().RulesFile;
            return services.AddSingleton(new CurrentRules(RulesLoader.LoadFile(Path.GetFullPath(rulesFile), channels)));
        }

        if (source.Validate().ToList() is { Count: > 0 } problems)
        {
            throw new OptionsValidationException(AutoCaptureOptions.Section, typeof(AutoCaptureOptions), problems);
        }

        var blob = new RulesBlob(source);
        var (rules, etag) = blob.Load(channels);
        services.AddSingleton(blob);
        services.AddSingleton(new CurrentRules(rules));
        services.AddSingleton(sp =>
        {
            var reloader = ActivatorUtilities.CreateInstance<RulesReloader>(sp);
            reloader.Loaded(etag);
            return reloader;
        });
        return services.AddHostedService(sp => sp.GetRequiredService<RulesReloader>());
    }

    /// <summary>The chat channels rules may name, bound from the <c>AutoCapture</c> section as the app binds them.</summary>
    public static IReadOnlyCollection<string> ChatChannelNames(IConfigurationSection section) =>
        [.. (section.GetSection(nameof(AutoCaptureOptions.Chat)).Get<ChatOptions>() ?? new()).AllChannels().Keys];
}
