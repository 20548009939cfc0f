using AutoCapture.Collector.Hosting;
using AutoCapture.Collector.Options;
using AutoCapture.Core.Hosting;
using AutoCapture.Core.Storage;
using Microsoft.Extensions.Options;

if (SettingsHelp.Asked(args))
{
    Console.WriteLine(SettingsHelp.Describe(
        "autocapture-collector: captures .NET and Go processes on this host when the webhook app asks (signed requests).",
        (CollectorOptions.Section, new CollectorOptions()),
        (StoreOptions.Section, new StoreOptions())));
    return 0;
}

try
{
    await CollectorApp.Create(args).RunAsync();
    return 0;
}
catch (OptionsValidationException e)
{
    await Console.Error.WriteLineAsync($"The collector cannot start: the configuration is invalid:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", e.Failures)}");
    return 2;
}
