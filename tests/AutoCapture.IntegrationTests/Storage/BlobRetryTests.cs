using System.Net;
using System.Text;
using AutoCapture.Core.Storage;
using AutoCapture.Core.Storage.Blob;
using AutoCapture.IntegrationTests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AutoCapture.IntegrationTests.Storage;

/// <summary>
/// Azurite cannot be made to fail on cue, so transient failures come from a loopback server that answers the way
/// the blob service does when it is throttling or busy, and counts the attempts it sees: the SDK's own retries,
/// configured from MaxAttempts, are what is tested.
/// </summary>
public sealed class BlobRetryTests : IAsyncLifetime
{
    private readonly Queue<(int Status, string? Code, string? RetryAfter)> _answers = new();
    private WebApplication _server = null!;
    private int _attempts;
    private string? _storedWriter;
    private bool _rememberFirstWriter;

    public async Task InitializeAsync()
    {
        _server = LoopbackServer.Create();
        _server.Run(async context =>
        {
            Interlocked.Increment(ref _attempts);
            await context.Request.Body.CopyToAsync(Stream.Null);
            if (_rememberFirstWriter && context.Request.Method == "PUT")
            {
                // As if the first attempt had been stored though its answer was lost.
                _storedWriter ??= context.Request.Headers["x-ms-meta-autocapture_writer"];
            }

            if (_storedWriter is not null && context.Request.Method == "HEAD")
            {
                context.Response.Headers["x-ms-meta-autocapture_writer"] = _storedWriter;
            }

            var (status, code, retryAfter) = _answers.Count > 0 ? _answers.Dequeue() : (context.Request.Method == "HEAD" ? 200 : 201, null, null);
            context.Response.StatusCode = status;
            if (code is not null)
            {
                context.Response.Headers["x-ms-error-code"] = code;
            }

            if (retryAfter is not null)
            {
                context.Response.Headers.RetryAfter = retryAfter;
            }

            context.Response.Headers.ETag = "\"0x1\"";
        });
        await _server.StartAsync();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>With a SAS, so the store sends nothing but the write itself (it creates containers only with a key or Entra ID).</summary>
    private IArtifactStore Store(int maxAttempts = 4) => ArtifactStores.Create(new StoreOptions
    {
        Kind = StoreBackend.AzureBlob,
        Container = "retries",
        ServiceUri = $"{_server.Urls.First()}/{BlobClients.DevelopmentAccount}",
        Sas = "sv=2025-11-05&ss=b&srt=sco&sp=rwdlac&se=2099-01-01T00%3A00%3A00Z&sig=test",
        MaxAttempts = maxAttempts,
        RequestTimeout = TimeSpan.FromSeconds(10),
    });

    private static MemoryStream Body() => new(Encoding.UTF8.GetBytes("{}"));

    [Theory]
    [InlineData(408)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task Transient_answers_are_retried_until_the_write_goes_through(int status)
    {
        _answers.Enqueue((status, "ServerBusy", "0"));
        _answers.Enqueue((status, "ServerBusy", null));
        var store = Store();

        var result = await store.WriteAsync("state/x", Body(), WriteCondition.None, CancellationToken.None);

        Assert.True(result.Written);
        Assert.Equal(3, _attempts);
    }

    [Theory]
    [InlineData(409, "BlobAlreadyExists")]
    [InlineData(412, "ConditionNotMet")]
    public async Task Conflicts_and_failed_conditions_are_answers_and_never_retried(int status, string code)
    {
        _answers.Enqueue((status, code, null));
        var store = Store();

        var result = await store.WriteAsync("state/x", Body(), WriteCondition.IfAbsent, CancellationToken.None);

        Assert.False(result.Written);
        Assert.Equal(1, _attempts);
    }

    [Fact]
    public async Task A_service_that_stays_busy_gives_up_after_max_attempts_with_a_clear_error()
    {
        for (var i = 0; i < 10; i++)
        {
            _answers.Enqueue((503, "ServerBusy", "0"));
        }

        var store = Store(maxAttempts: 3);

        var error = await Assert.ThrowsAsync<StoreException>(() => store.WriteAsync("state/x", Body(), WriteCondition.None, CancellationToken.None));

        Assert.Equal(3, _attempts);
        Assert.Contains("503 ServerBusy", error.Message, StringComparison.Ordinal);
        Assert.Contains("kept failing after every retry", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_retried_create_that_finds_another_writers_blob_has_lost_the_race()
    {
        // First attempt fails (a 500); by the retry another writer has created the blob.
        _answers.Enqueue((500, "InternalError", "0"));
        _answers.Enqueue((409, "BlobAlreadyExists", null));
        var store = Store();

        var result = await store.WriteAsync("state/x", Body(), WriteCondition.IfAbsent, CancellationToken.None);

        // The HEAD that checks ownership answers 201 without our writer id, so it is not ours: a lost race.
        Assert.False(result.Written);
        Assert.Equal(3, _attempts);
    }

    [Fact]
    public async Task A_retried_create_whose_first_attempt_was_stored_counts_as_written()
    {
        _rememberFirstWriter = true;
        _answers.Enqueue((500, "InternalError", "0"));
        _answers.Enqueue((409, "BlobAlreadyExists", null));
        var store = Store();

        var result = await store.WriteAsync("state/x", Body(), WriteCondition.IfAbsent, CancellationToken.None);

        Assert.True(result.Written);
        Assert.Equal("\"0x1\"", result.ETag);
        Assert.Equal(3, _attempts);
    }
}
