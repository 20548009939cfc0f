using AutoCapture.Collector.Captures;
using AutoCapture.Core.Captures;
using AutoCapture.Core.Hosting;

namespace AutoCapture.Collector.Go;

public static class GoCaptureRegistration
{
    /// <summary>The Go capture providers and the two channels they use (net/http/pprof, the gops agent).</summary>
    public static IServiceCollection AddGoCaptures(this IServiceCollection services)
    {
        services.AddHttpClient<PprofHttpClient>()
            .ConfigurePrimaryHttpMessageHandler(PprofHttpClient.CreateHandler)
            .AddRetries("pprof", PprofHttpClient.Retries);
        services.AddSingleton<GopsAgentClient>();
        services.AddSingleton<GoProfileSource>();
        foreach (var kind in new[] { CaptureKinds.Cpu, CaptureKinds.Heap, CaptureKinds.Allocs, CaptureKinds.Block, CaptureKinds.Mutex, CaptureKinds.ThreadCreate })
        {
            services.AddSingleton<ICaptureProvider>(sp => new GoPprofCaptureProvider(kind, sp.GetRequiredService<GoProfileSource>()));
        }

        services.AddSingleton<ICaptureProvider, GoGoroutinesCaptureProvider>();
        services.AddSingleton<ICaptureProvider, GoTraceCaptureProvider>();
        services.AddSingleton<ICaptureProvider, GoAgentCountersCaptureProvider>();
        return services;
    }
}
