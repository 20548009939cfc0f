using AutoCapture.Core.Hosting;
using AutoCapture.Functions.Hosting;
using AutoCapture.Functions.Options;
using AutoCapture.Functions.Rules;
using Microsoft.Extensions.Options;

if (SettingsHelp.Asked(args))
{
    Console.WriteLine(SettingsHelp.Describe(
        "autocapture-functions: the webhook app. Receives alerts, asks collectors to capture, stores and reports the captures.\n"
        + "Runs standalone (this command) or as an Azure Functions isolated worker when the Functions host starts it.",
        (AutoCaptureOptions.Section, new AutoCaptureOptions())));
    return 0;
}

try
{
    using var app = WebhookApp.StartedByFunctionsHost(args) ? WebhookApp.CreateWorker(args) : WebhookApp.Create(args);
    await app.RunAsync();
    return 0;
}
catch (RulesFileException e)
{
    await Console.Error.WriteLineAsync($"AutoCapture cannot start: the rules file is invalid:{Environment.NewLine}{e.Message}");
    return 2;
}
catch (OptionsValidationException e)
{
    await Console.Error.WriteLineAsync($"AutoCapture cannot start: the configuration is invalid:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", e.Failures)}");
    return 2;
}
