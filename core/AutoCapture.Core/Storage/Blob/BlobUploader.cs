using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;

namespace AutoCapture.Core.Storage.Blob;

/// <summary>
/// Streams content into a blob without holding it whole. Content that fits in one read of the first buffer and
/// is at most <see cref="StoreOptions.SingleUploadMaxBytes"/> goes up in one Put Blob; anything larger goes up as
/// blocks (Put Block, up to <see cref="StoreOptions.UploadParallelism"/> at once) committed with one Put Block List.
/// Memory is bounded by <c>BlockBytes × (UploadParallelism + 1)</c>. The write condition is applied by the
/// single Put Blob or by the commit, so readers see the old version or the whole new one, never a part.
/// </summary>
internal sealed class BlobUploader(BlobStore store, BlobRequests requests, StoreOptions options)
{
    /// <summary>The service's limit on blocks in one blob.</summary>
    private const int MaxBlocks = 50_000;

    public async Task<WriteResult> UploadAsync(string key, Stream content, WriteCondition condition, CancellationToken cancellationToken)
    {
        var writer = Guid.NewGuid().ToString("N");
        var first = GC.AllocateUninitializedArray<byte>(options.BlockBytes);
        var filled = await content.ReadAtLeastAsync(first, first.Length, throwOnEndOfStream: false, cancellationToken);
        if (filled < first.Length && filled <= options.SingleUploadMaxBytes)
        {
            return await CommitAsync(key, writer, condition, "uploading", () => BlobRequests.Bytes(first.AsMemory(0, filled)), query: null, cancellationToken);
        }

        var blockIds = await PutBlocksAsync(key, writer, content, first, filled, cancellationToken);
        var list = BlobXml.BlockList(blockIds);
        return await CommitAsync(key, writer, condition, "committing blocks of", () => BlobRequests.Bytes(list, "application/xml"), "comp=blocklist", cancellationToken);
    }

    private async Task<List<string>> PutBlocksAsync(string key, string writer, Stream content, byte[] first, int firstFilled, CancellationToken cancellationToken)
    {
        var free = Channel.CreateUnbounded<byte[]>();
        var allocated = 1;
        var maxBuffers = options.UploadParallelism + 1;
        var blockIds = new List<string>();
        var uploads = new List<Task>();
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var buffer = first;
        var filled = firstFilled;
        try
        {
            while (filled > 0)
            {
                if (blockIds.Count == MaxBlocks)
                {
                    throw new StoreException($"'{key}' is larger than {MaxBlocks} blocks of {options.BlockBytes} bytes; raise AutoCapture:Store:BlockBytes.");
                }

                // Block ids must all have one length; the writer id keeps concurrent uploads of one key apart.
                var blockId = Convert.ToBase64String(Encoding.ASCII.GetBytes($"{writer}-{blockIds.Count.ToString("D6", CultureInfo.InvariantCulture)}"));
                blockIds.Add(blockId);
                uploads.Add(PutBlockAsync(key, blockId, buffer, filled, free.Writer, failed));
                if (filled < buffer.Length)
                {
                    break;
                }

                buffer = allocated < maxBuffers ? GC.AllocateUninitializedArray<byte>(options.BlockBytes) : await free.Reader.ReadAsync(failed.Token);
                allocated = Math.Min(allocated + 1, maxBuffers);
                filled = await content.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, failed.Token);
            }

            await Task.WhenAll(uploads);
        }
        catch (OperationCanceledException) when (failed.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // A block failed and cancelled the rest: surface its error rather than the cancellation.
            await Task.WhenAll(uploads);
            throw;
        }

        return blockIds;
    }

    private async Task PutBlockAsync(string key, string blockId, byte[] buffer, int length, ChannelWriter<byte[]> free, CancellationTokenSource failed)
    {
        try
        {
            var query = $"comp=block&blockid={Uri.EscapeDataString(blockId)}";
            // A transactional Content-MD5 lets the service reject a block damaged on the way (MD5 because it is
            // what the protocol offers, not for security); it also spares Azurite a much slower CRC64 of its own.
#pragma warning disable CA5351
            var md5 = MD5.HashData(buffer.AsSpan(0, length));
#pragma warning restore CA5351
            using var response = await SendCreatingContainerAsync(() =>
            {
                var content = BlobRequests.Bytes(buffer.AsMemory(0, length));
                content.Headers.ContentMD5 = md5;
                return new HttpRequestMessage(HttpMethod.Put, store.BlobUri(key, query)) { Content = content };
            }, failed.Token);
            store.EnsureSuccess(response, "uploading a block of", key);
            free.TryWrite(buffer);
        }
        catch
        {
            await failed.CancelAsync();
            throw;
        }
    }

    /// <summary>The one request that makes the new version visible, under the write condition.</summary>
    private async Task<WriteResult> CommitAsync(string key, string writer, WriteCondition condition, string operation, Func<HttpContent> body, string? query, CancellationToken cancellationToken)
    {
        var attempts = 0;
        using var response = await SendCreatingContainerAsync(() =>
        {
            attempts++;
            var request = new HttpRequestMessage(HttpMethod.Put, store.BlobUri(key, query)) { Content = body() };
            if (query is null)
            {
                request.Headers.TryAddWithoutValidation("x-ms-blob-type", "BlockBlob");
            }

            request.Headers.TryAddWithoutValidation("x-ms-meta-" + BlobStore.WriterMetadata, writer);
            switch (condition.Kind)
            {
                case WriteConditionKind.IfAbsent:
                    request.Headers.TryAddWithoutValidation("If-None-Match", "*");
                    break;
                case WriteConditionKind.IfMatch:
                    request.Headers.TryAddWithoutValidation("If-Match", condition.ETag);
                    break;
            }

            return request;
        }, cancellationToken);

        if (BlobXml.IsSuccess(response))
        {
            return WriteResult.Success(BlobXml.ETagOf(response) ?? throw new StoreException($"Azure Blob Storage: {operation} {key} returned no ETag."));
        }

        var conditionFailed = response.StatusCode == HttpStatusCode.PreconditionFailed
            || (condition.Kind == WriteConditionKind.IfAbsent && BlobXml.Is(response, HttpStatusCode.Conflict, "BlobAlreadyExists"))
            || (condition.Kind == WriteConditionKind.IfMatch && BlobXml.Is(response, HttpStatusCode.NotFound, "BlobNotFound"));
        if (!conditionFailed)
        {
            store.EnsureSuccess(response, operation, key);
        }

        // A retried commit can fail its condition because its own earlier attempt succeeded unseen.
        if (attempts > 1 && await OwnVersionAsync(key, writer, cancellationToken) is { } ownETag)
        {
            return WriteResult.Success(ownETag);
        }

        return WriteResult.ConditionFailed;
    }

    private async Task<string?> OwnVersionAsync(string key, string writer, CancellationToken cancellationToken)
    {
        using var response = await requests.SendAsync(() => new HttpRequestMessage(HttpMethod.Head, store.BlobUri(key)), headersOnly: false, cancellationToken);
        return BlobXml.IsSuccess(response) && BlobStore.MetadataOf(response, includeWriter: true).GetValueOrDefault(BlobStore.WriterMetadata) == writer
            ? BlobXml.ETagOf(response)
            : null;
    }

    private async Task<HttpResponseMessage> SendCreatingContainerAsync(Func<HttpRequestMessage> build, CancellationToken cancellationToken)
    {
        var response = await requests.SendAsync(build, headersOnly: false, cancellationToken);
        if (!BlobXml.Is(response, HttpStatusCode.NotFound, "ContainerNotFound"))
        {
            return response;
        }

        response.Dispose();
        await store.EnsureContainerAsync(cancellationToken);
        return await requests.SendAsync(build, headersOnly: false, cancellationToken);
    }
}
