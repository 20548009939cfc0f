using System.Security.Cryptography;
using AutoCapture.Collector.Captures;
using AutoCapture.Collector.Hosting;
using AutoCapture.Core.Captures;
using AutoCapture.Core.IO;
using AutoCapture.Core.Storage;
using Prometheus;

namespace AutoCapture.Collector.Runs;

/// <summary>
/// Streams artifacts into the capture's store folder, hashing them on the way so the manifest can list size and
/// SHA-256. <paramref name="beforeFirstWrite"/> runs once, before the first artifact goes out (the "uploading" report).
/// Content that can be read again (a file in the work directory) is written again while the store is down, for as
/// long as <paramref name="outageRetry"/> allows.
/// </summary>
public sealed class StoreArtifactSink(IArtifactStore store, string captureId, StoreOutageRetry? outageRetry = null, Func<Task>? beforeFirstWrite = null) : IArtifactSink
{
    private int _started;
    private readonly List<ArtifactInfo> _written = [];
    private readonly Lock _gate = new();

    public IReadOnlyList<ArtifactInfo> Written
    {
        get
        {
            lock (_gate)
            {
                return [.. _written];
            }
        }
    }

    public async Task<ArtifactInfo> WriteAsync(string name, string kind, string contentType, Stream content, CancellationToken cancellationToken)
    {
        var key = CaptureIds.ArtifactKey(captureId, name);
        lock (_gate)
        {
            if (_written.Any(a => a.Name == name))
            {
                throw new InvalidOperationException($"Artifact {name} was already written for capture {captureId}.");
            }
        }

        if (beforeFirstWrite is not null && Interlocked.Exchange(ref _started, 1) == 0)
        {
            await beforeFirstWrite();
        }

        var start = content.CanSeek ? content.Position : 0;
        var attempts = 0;
        async Task<ArtifactInfo> WriteOnceAsync(CancellationToken token)
        {
            attempts++;
            if (content.CanSeek)
            {
                content.Position = start;
            }

            await using var hashing = new HashingStream(content);
            // Create-if-absent: once written, an artifact never changes, whoever asks for its capture id again.
            if (!(await store.WriteAsync(key, hashing, WriteCondition.IfAbsent, token)).Written)
            {
                if (attempts == 1)
                {
                    throw new CaptureFailedException($"artifact {name} of capture {captureId} is already in the store; a capture's artifacts are written once (this request repeats a capture that ran)");
                }

                // A retry meeting what its own earlier attempt wrote, whose answer the outage lost: the same bytes.
                content.Position = start;
                await using var rehashing = new HashingStream(content);
                await rehashing.CopyToAsync(Stream.Null, token);
                return new ArtifactInfo(name, kind, contentType, rehashing.BytesRead, rehashing.HashHex());
            }

            return new ArtifactInfo(name, kind, contentType, hashing.BytesRead, hashing.HashHex());
        }

        ArtifactInfo artifact;
        using (CollectorMetrics.UploadDuration.NewTimer())
        {
            artifact = outageRetry is not null && content.CanSeek
                ? await outageRetry.ExecuteAsync(WriteOnceAsync, cancellationToken)
                : await WriteOnceAsync(cancellationToken);
        }
        lock (_gate)
        {
            _written.Add(artifact);
        }

        return artifact;
    }

    /// <summary>
    /// A read-only pass-through that counts and hashes what is read. Over a file it reports its length and can be
    /// rewound to its start (which starts the hash again), so the store can upload a file of known size in one
    /// request and its client can send that request again after a transient failure.
    /// </summary>
    private sealed class HashingStream(Stream inner) : ReadOnlyStream
    {
        private readonly long _origin = inner.CanSeek ? inner.Position : 0;
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public long BytesRead { get; private set; }

        public string HashHex() => Convert.ToHexStringLower(_hash.GetHashAndReset());

        public override bool CanSeek => inner.CanSeek;

        public override long Length => CanSeek ? inner.Length - _origin : throw new NotSupportedException();

        public override long Position
        {
            get => BytesRead;
            set => Seek(value, SeekOrigin.Begin);
        }

        public override long Seek(long offset, SeekOrigin origin)
        {
            var target = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => BytesRead + offset,
                _ => Length + offset,
            };
            if (target == BytesRead)
            {
                return target;
            }

            // Only back to the start: any other jump would leave bytes out of the hash or count them twice.
            if (target != 0 || !CanSeek)
            {
                throw new NotSupportedException("a hashing stream can only be rewound to its start.");
            }

            inner.Position = _origin;
            _hash.GetHashAndReset();
            BytesRead = 0;
            return 0;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = inner.Read(buffer);
            Account(buffer[..read]);
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            Account(buffer.Span[..read]);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private void Account(ReadOnlySpan<byte> data)
        {
            _hash.AppendData(data);
            BytesRead += data.Length;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _hash.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
