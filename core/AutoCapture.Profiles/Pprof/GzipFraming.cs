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
    public static byte[] Decompress(byte[] data, long maxBytes)
    {
        const int HeaderAndTrailer = 18;
        if (data.Length < HeaderAndTrailer)
        {
            throw new ProfileFormatException($"truncated gzip: {data.Length} bytes is shorter than a gzip header and trailer");
        }

        using var output = new MemoryStream();
        try
        {
            using var gzip = new GZipStream(new MemoryStream(data, writable: false), CompressionMode.Decompress);
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
        }
        catch (InvalidDataException e)
        {
            throw new ProfileFormatException($"corrupt gzip: {e.Message}", e);
        }

        var trailer = data.AsSpan(data.Length - 8);
        var expectedCrc = BitConverter.ToUInt32(trailer[..4]);
        var expectedLength = BitConverter.ToUInt32(trailer[4..]);
        var inflated = output.GetBuffer().AsSpan(0, (int)output.Length);
        if ((uint)inflated.Length != expectedLength || Crc32.Compute(inflated) != expectedCrc)
        {
            throw new ProfileFormatException(
                $"truncated or corrupt gzip: {data.Length} compressed bytes inflate to {inflated.Length} bytes that do not match the gzip trailer (the body was cut short?)");
        }

        return output.ToArray();
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
