using System.Security.Cryptography;
using AutoCapture.Core.IO;

namespace AutoCapture.IntegrationTests.Support;

/// <summary>A read-only, non-seekable source that hands out its bytes in small uneven pieces, like a network stream.</summary>
public sealed class TrickleStream(byte[] data) : ReadOnlySourceStream
{
    private int _position;

    public override int Read(Span<byte> buffer)
    {
        var count = Math.Min(Math.Min(buffer.Length, 1 + Random.Shared.Next(40_000)), data.Length - _position);
        data.AsSpan(_position, count).CopyTo(buffer);
        _position += count;
        return count;
    }
}

/// <summary>
/// A non-seekable source of <c>size</c> bytes generated on the fly (so a large artifact needs no memory or disk),
/// where each byte depends only on its position and the seed.
/// </summary>
public sealed class PatternStream(long size, int seed) : ReadOnlySourceStream
{
    private long _position;

    public override int Read(Span<byte> buffer)
    {
        var count = (int)Math.Min(buffer.Length, size - _position);
        Fill(buffer[..count], _position, seed);
        _position += count;
        return count;
    }

    public static byte[] Sha256(long size, int seed)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        for (long position = 0; position < size; position += buffer.Length)
        {
            var count = (int)Math.Min(buffer.Length, size - position);
            Fill(buffer.AsSpan(0, count), position, seed);
            hash.AppendData(buffer, 0, count);
        }

        return hash.GetHashAndReset();
    }

    private static void Fill(Span<byte> target, long start, int seed)
    {
        for (var i = 0; i < target.Length; i++)
        {
            var p = (ulong)(start + i);
            target[i] = (byte)(((p * 0x9E3779B97F4A7C15UL) + (ulong)seed) >> 56);
        }
    }
}

public abstract class ReadOnlySourceStream : ReadOnlyStream
{
    public abstract override int Read(Span<byte> buffer);

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));
}
