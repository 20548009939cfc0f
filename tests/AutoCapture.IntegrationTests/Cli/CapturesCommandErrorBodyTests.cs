using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AutoCapture.IntegrationTests.Cli;

/// <summary>
/// A proxy in front of the webhook app may answer an error with any JSON; the CLI reports it in one line instead of
/// crashing on a body that is not the capture API's <c>{"error": "..."}</c>.
/// </summary>
public sealed class CapturesCommandErrorBodyTests
{
    [Theory]
    [InlineData("""["bad gateway"]""")]
    [InlineData("""{"error":{"code":502}}""")]
    [InlineData("42")]
    public async Task An_error_answer_in_foreign_json_is_reported_not_crashed_on(string body)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var proxy = builder.Build();
        proxy.MapGet("/{**path}", () => Results.Text(body, "application/json", statusCode: 502));
        await proxy.StartAsync();

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "autocapture.dll"));
        start.ArgumentList.Add("captures");
        start.ArgumentList.Add("list");
        start.Environment["AUTOCAPTURE_URL"] = proxy.Urls.First();
        start.Environment["AUTOCAPTURE_TOKEN"] = "any-token";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        var message = await error;
        Assert.Equal(1, process.ExitCode);
        Assert.Equal($"the server answered 502: {body}", message.Trim());
        Assert.Empty(await output);
    }
}
