using AutoCapture.Functions.Hosting;
using AutoCapture.Functions.Rules;
using Microsoft.Extensions.Options;

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
