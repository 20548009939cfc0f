using System.Diagnostics;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Azure.Storage.Blobs;

namespace AutoCapture.Core.Storage.Blob;

/// <summary>How the blob store proves who it is; decides how read links and upload grants are signed.</summary>
public enum BlobCredentialKind
{
    AccountKey,
    Sas,
    EntraId,
}

/// <summary>Builds the SDK's clients from <c>AutoCapture:Store</c>: credentials, the pinned service version and retries.</summary>
public static class BlobClients
{
    /// <summary>The newest version Azurite 3.37 accepts; the SDK's own default (2026-10-06) it refuses.</summary>
    public const BlobClientOptions.ServiceVersion Version = BlobClientOptions.ServiceVersion.V2025_11_05;

    /// <summary>The Azurite / storage emulator account, whose key is public by design (tests and benchmarks).</summary>
    public const string DevelopmentAccount = "devstoreaccount1";
    public const string DevelopmentKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>A connection string for the emulator account at <paramref name="serviceUri"/> (<c>http://127.0.0.1:port/devstoreaccount1</c>).</summary>
    public static string DevelopmentConnectionString(Uri serviceUri) =>
        $"DefaultEndpointsProtocol=http;AccountName={DevelopmentAccount};AccountKey={DevelopmentKey};BlobEndpoint={serviceUri};";

    /// <summary>The service client for the configured way in (options must be valid and have a credential).</summary>
    /// <param name="handler">For tests: how requests reach the service (e.g. trusting a test certificate).</param>
    public static (BlobServiceClient Service, BlobCredentialKind Kind) Create(StoreOptions options, HttpMessageHandler? handler = null, TokenCredential? credential = null)
    {
        var clientOptions = ClientOptions(options, handler);
        return options.ConnectionString is { Length: > 0 } connectionString
            ? (new BlobServiceClient(connectionString, clientOptions), connectionString.Contains("SharedAccessSignature=", StringComparison.OrdinalIgnoreCase) ? BlobCredentialKind.Sas : BlobCredentialKind.AccountKey)
            : options.Sas is { Length: > 0 } sas
                ? (new BlobServiceClient(new UriBuilder(options.ServiceUri!) { Query = sas.TrimStart('?') }.Uri, clientOptions), BlobCredentialKind.Sas)
                : (new BlobServiceClient(new Uri(options.AccountUrl!), credential ?? EntraCredential(options), clientOptions), BlobCredentialKind.EntraId);
    }

    /// <summary>
    /// The pinned service version, the SDK's own retries (exponential with jitter, honouring Retry-After; a 409
    /// or 412 is an answer and never retried) bounded by MaxAttempts, and a network time-out per attempt.
    /// </summary>
    public static BlobClientOptions ClientOptions(StoreOptions options, HttpMessageHandler? handler = null)
    {
        var clientOptions = new BlobClientOptions(Version)
        {
            Retry =
            {
                Mode = RetryMode.Exponential,
                MaxRetries = options.MaxAttempts - 1,
                Delay = TimeSpan.FromMilliseconds(200),
                MaxDelay = TimeSpan.FromSeconds(10),
                NetworkTimeout = options.RequestTimeout,
            },
        };
        if (handler is not null)
        {
            clientOptions.Transport = new HttpClientTransport(handler);
        }

        clientOptions.AddPolicy(new AttemptPolicy(), HttpPipelinePosition.PerRetry);
        return clientOptions;
    }

    /// <summary>Whether the SDK accepts <paramref name="connectionString"/>; its own message is not repeated, as it may quote the string.</summary>
    public static bool IsConnectionString(string connectionString)
    {
        try
        {
            _ = new BlobServiceClient(connectionString, new BlobClientOptions(Version));
            return true;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or UriFormatException or InvalidOperationException)
        {
            return false;
        }
    }

    private static TokenCredential EntraCredential(StoreOptions options)
    {
        var clientId = string.IsNullOrEmpty(options.ManagedIdentityClientId) ? null : options.ManagedIdentityClientId;
        return options.Credential == StoreCredential.ManagedIdentity
            ? new ManagedIdentityCredential(clientId is null ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = clientId });
    }

    /// <summary>
    /// Counts the attempts of the operation in progress (so a write whose condition failed after a retry can check
    /// whether its own lost attempt succeeded) and times each round trip for the store latency histogram.
    /// </summary>
    internal sealed class AttemptPolicy : HttpPipelinePolicy
    {
        private static readonly AsyncLocal<Counter> Current = new();

        /// <summary>Starts counting for the calling operation; read <see cref="Counter.Attempts"/> when it is done.</summary>
        public static Counter Track() => Current.Value = new Counter();

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            var sent = Begin(message);
            try
            {
                ProcessNext(message, pipeline);
            }
            finally
            {
                StoreMetrics.Observe(sent.Operation, Stopwatch.GetElapsedTime(sent.At));
            }
        }

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            var sent = Begin(message);
            try
            {
                await ProcessNextAsync(message, pipeline);
            }
            finally
            {
                StoreMetrics.Observe(sent.Operation, Stopwatch.GetElapsedTime(sent.At));
            }
        }

        private static (StoreOperation Operation, long At) Begin(HttpMessage message)
        {
            if (Current.Value is { } box)
            {
                Interlocked.Increment(ref box.Attempts);
            }

            return (StoreMetrics.Of(message.Request.Method.Method, message.Request.Uri.Query), Stopwatch.GetTimestamp());
        }

        public sealed class Counter
        {
            public int Attempts;
        }
    }
}
