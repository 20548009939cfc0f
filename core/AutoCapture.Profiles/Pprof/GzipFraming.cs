using System.IO.Compression;

namespace AutoCapture.Profiles.Pprof;

/// <summary>
/// Unwraps the gzip framing of a pprof profile. .NET's GZipStream returns a cut-short stream's data without a word,
/// so the member's trailer (CRC-32 and length of the uncompressed data) is checked here: a profile truncated in
/// transit fails clearly instead of being summarised from half its samples.
/// </summary>
public static class GzipFraming
{
    public static bool IsGzip(ReadOnlySpan<byte> data) => data.Length >= 2 && data[0] == 0x1f && data[1] == 0x8b;

    /// <summary>The uncompressed bytes of a single-member gzip stream (what Go writes), checked against its trailer.</summary>
    /// <remarks>
    /// The trailer says how long the data is, so it is inflated straight into an array of that size (a growing buffer
    /// would hold up to three copies of a large profile at once). A trailer claiming more than deflate can produce from
    /// the input is not trusted with an allocation: then the data is read into a growing buffer and checked after.
    /// </remarks>
    public static byte[] Decompress(byte[] data, long maxBytes)
    {
        const int HeaderAndTrailer = 18;
        const long MaxDeflateRatio = 1032;
        if (data.Length < HeaderAndTrailer)
        {
            throw new ProfileFormatException($"truncated gzip: {data.Length} bytes is shorter than a gzip header and trailer");
        }

        var trailer = data.AsSpan(data.Length - 8);
        var expectedCrc = BitConverter.ToUInt32(trailer[..4]);
        var expectedLength = BitConverter.ToUInt32(trailer[4..]);
        long inflatedLength;
        byte[] inflated;
        try
        {
            using var gzip = new GZipStream(new MemoryStream(data, writable: false), CompressionMode.Decompress);
            (inflated, inflatedLength) = expectedLength <= Math.Min(maxBytes, data.Length * MaxDeflateRatio)
                ? ReadSized(gzip, (int)expectedLength, maxBytes)
                : ReadGrowing(gzip, maxBytes);
        }
        catch (InvalidDataException e)
        {
            throw new ProfileFormatException($"corrupt gzip: {e.Message}", e);
        }

        if (inflatedLength != expectedLength || Crc32.Compute(inflated) != expectedCrc)
        {
            throw new ProfileFormatException(
                $"truncated or corrupt gzip: {data.Length} compressed bytes inflate to {inflatedLength} bytes that do not match the gzip trailer (the body was cut short?)");
        }

        return inflated;
    }

    /// <summary>Reads the expected length into an array of that size; the true length is counted if it differs.</summary>
    private static (byte[] Data, long Length) ReadSized(Stream gzip, int length, long maxBytes)
    {
        var buffer = new byte[length];
        var read = 0;
        int count;
        while (read < length && (count = gzip.Read(buffer, read, length - read)) > 0)
        {
            read += count;
        }

        long total = read;
        var scratch = new byte[1 << 12];
        while ((count = gzip.Read(scratch)) > 0)
        {
            total += count;
            if (total > maxBytes)
            {
                throw new ProfileFormatException($"the profile inflates to more than {maxBytes} bytes; refusing to read it");
            }
        }

        return (read == length ? buffer : buffer[..read], total);
    }

    private static (byte[] Data, long Length) ReadGrowing(Stream gzip, long maxBytes)
    {
        using var output = new MemoryStream();
        var buffer = new byte[1 << 16];
        int read;
        while ((read = gzip.Read(buffer)) > 0)
        {
            if (output.Length + read > maxBytes)
            {
                throw new ProfileFormatException($"the profile inflates to more than {maxBytes} bytes; refusing to read it");
            }

            output.Write(buffer, 0, read);
        }

        return (output.ToArray(), output.Length);
    }

    /// <summary>The CRC-32 of gzip (IEEE 802.3, reflected); no package that restores here offers it.</summary>
    private static class Crc32
    {
        private static readonly uint[] Table = BuildTable();

        public static uint Compute(ReadOnlySpan<byte> data)
        {
            var crc = 0xFFFFFFFFu;
            foreach (var b in data)
            {
                crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            }

            return ~crc;
        }

        private static uint[] BuildTable()
        {
            var table = new uint[256];
            for (var n = 0u; n < 256; n++)
            {
                var c = n;
                for (var k = 0; k < 8; k++)
                {
                    c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                }

                table[n] = c;
            }

            return table;
        }
    }
}
