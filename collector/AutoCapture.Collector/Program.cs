using AutoCapture.Collector.Hosting;
using Microsoft.Extensions.Options;

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
