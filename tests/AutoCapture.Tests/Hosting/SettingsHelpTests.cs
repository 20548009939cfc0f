using AutoCapture.Collector.Options;
using AutoCapture.Core.Hosting;
using AutoCapture.Core.Storage;

namespace AutoCapture.Tests.Hosting;

public class SettingsHelpTests
{
    [Fact]
    public void Help_lists_every_setting_as_its_environment_variable_with_its_default_nested_and_listed_ones_included()
    {
        var help = SettingsHelp.Describe("usage", (CollectorOptions.Section, new CollectorOptions()), (StoreOptions.Section, new StoreOptions()));

        Assert.Contains("  AutoCapture__Collector__SigningKey  [none]", help, StringComparison.Ordinal);
        Assert.Contains("  AutoCapture__Collector__MaxDuration  [00:05:00]", help, StringComparison.Ordinal);
        Assert.Contains("  AutoCapture__Collector__Go__RequestTimeout  [00:00:30]", help, StringComparison.Ordinal);
        Assert.Contains("  AutoCapture__Collector__AllowedProcesses__<n>__Name  [none]", help, StringComparison.Ordinal);
        Assert.Contains("  AutoCapture__Store__Path  [.autocapture/store]", help, StringComparison.Ordinal);
        Assert.StartsWith("usage", help, StringComparison.Ordinal);
    }

    [Fact]
    public void The_webhook_apps_help_lists_its_sources_limits_and_store()
    {
        var help = SettingsHelp.Describe("usage", (Functions.Options.AutoCaptureOptions.Section, new Functions.Options.AutoCaptureOptions()));

        Assert.Contains("  AutoCapture__Sources__Alertmanager__BearerToken  [none]", help, StringComparison.Ordinal);
        Assert.Contains("  AutoCapture__Limits__StormTargets  [3]", help, StringComparison.Ordinal);
        Assert.Contains("  AutoCapture__Store__Kind  [Folder]", help, StringComparison.Ordinal);
        Assert.Contains("  AutoCapture__Collector__AllowedCollectors__<n>  [none]", help, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_shows_the_defaults_it_is_given_so_a_configured_secret_never_reaches_it()
    {
        var configured = new CollectorOptions { SigningKey = "configured-secret-0123456789abcdef" };

        var help = SettingsHelp.Describe("usage", (CollectorOptions.Section, new CollectorOptions()));

        Assert.DoesNotContain(configured.SigningKey, help, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help", true)]
    [InlineData("-h", true)]
    [InlineData("-?", true)]
    [InlineData("--AutoCapture:Collector:Port=7080", false)]
    public void Help_is_asked_with_the_usual_flags(string arg, bool asked) => Assert.Equal(asked, SettingsHelp.Asked([arg]));
}
