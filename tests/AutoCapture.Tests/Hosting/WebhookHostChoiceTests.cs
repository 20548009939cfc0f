using AutoCapture.Functions.Hosting;

namespace AutoCapture.Tests.Hosting;

/// <summary>The one executable runs as the Functions worker only when the host's own argument is there.</summary>
public sealed class WebhookHostChoiceTests
{
    [Theory]
    [InlineData("--host", "127.0.0.1", "--port", "7071", "--functions-uri", "http://127.0.0.1:7071/")]
    [InlineData("--functions-uri=http://127.0.0.1:7071/")]
    public void Started_by_the_Functions_host_when_it_passes_its_address(params string[] args) =>
        Assert.True(WebhookApp.StartedByFunctionsHost(args));

    [Theory]
    [InlineData]
    [InlineData("--urls", "http://0.0.0.0:8080")]
    [InlineData("--functions-urix", "http://127.0.0.1:7071/")]
    public void Standalone_otherwise(params string[] args) =>
        Assert.False(WebhookApp.StartedByFunctionsHost(args));
}
