using AutoCapture.Core.Storage;
using AutoCapture.Functions.Links;
using AutoCapture.Functions.Options;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;

namespace AutoCapture.Tests.Chat;

/// <summary>Signed links as chat messages and capture pages make them, over a folder store, with no server running.</summary>
internal static class TestUrls
{
    public static PublicUrls For(string storeDirectory) => new(
        Microsoft.Extensions.Options.Options.Create(new AutoCaptureOptions { PublicBaseUrl = "https://autocapture.example.com", Links = { SigningKey = new string('l', 32) } }),
        new NoServer(),
        new FolderStore(storeDirectory),
        TimeProvider.System);

    private sealed class NoServer : IServer
    {
        public IFeatureCollection Features { get; } = new FeatureCollection();

        public void Dispose()
        {
        }

        public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
            where TContext : notnull => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
