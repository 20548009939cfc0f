using System.Text;
using AutoCapture.Core.Captures;

namespace AutoCapture.Collector.Go;

/// <summary>
/// The main module's path from the build information Go 1.18 and later embed in every binary (what
/// <c>go version -m</c> prints on its <c>mod</c> line), read from a local target's executable: with it, own code is
/// the main module's packages whatever their names (see <see cref="Core.Summaries.GoOwnCode"/>).
/// </summary>
public static class GoBuildInfo
{
    private const string Section = ".go.buildinfo";
    private const int HeaderSize = 32;
    private const byte InlineStrings = 2;
    private const int MaxString = 4 << 20;
    private static readonly byte[] Magic = [0xff, .. " Go buildinf:"u8];

    /// <summary>
    /// The main module of a process the collector knows by pid (<c>/proc/{pid}/exe</c>, readable when the collector may
    /// trace it); null for a target known only by its address, which may be on another host.
    /// </summary>
    public static string? MainModuleOf(ResolvedProcess target) => target.Pid > 0 ? MainModule($"/proc/{target.Pid}/exe") : null;

    /// <summary>
    /// Null when the file cannot be read or is not a 64-bit little-endian ELF Go binary with inline build information
    /// (older Go points into the data segment instead), or when it names no main module (<c>go run x.go</c>).
    /// </summary>
    public static string? MainModule(string executable)
    {
        try
        {
            using var file = File.OpenRead(executable);
            using var reader = new BinaryReader(file, Encoding.UTF8);
            if (FindSection(reader) is not { } offset)
            {
                return null;
            }

            file.Position = offset;
            var header = reader.ReadBytes(HeaderSize);
            if (header.Length < HeaderSize || !header.AsSpan(0, Magic.Length).SequenceEqual(Magic) || (header[15] & InlineStrings) == 0)
            {
                return null;
            }

            ReadString(reader);
            return ReadString(reader).Split('\n').FirstOrDefault(line => line.StartsWith("mod\t", StringComparison.Ordinal))?.Split('\t')[1];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or EndOfStreamException or FormatException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>The file offset of the <c>.go.buildinfo</c> section, from the ELF section headers.</summary>
    private static long? FindSection(BinaryReader reader)
    {
        var ident = reader.ReadBytes(16);
        if (ident.Length < 16 || !ident.AsSpan(0, 4).SequenceEqual("\u007fELF"u8) || ident[4] != 2 || ident[5] != 1)
        {
            return null;
        }

        reader.BaseStream.Position = 0x28;
        var sectionHeaders = reader.ReadInt64();
        reader.BaseStream.Position = 0x3A;
        var entrySize = reader.ReadUInt16();
        var count = reader.ReadUInt16();
        var namesIndex = reader.ReadUInt16();
        if (count == 0 || namesIndex >= count)
        {
            return null;
        }

        (uint Name, long Offset, long Size) Header(int index)
        {
            reader.BaseStream.Position = sectionHeaders + ((long)index * entrySize);
            var name = reader.ReadUInt32();
            reader.BaseStream.Position += 0x18 - 4;
            return (name, reader.ReadInt64(), reader.ReadInt64());
        }

        var names = Header(namesIndex);
        reader.BaseStream.Position = names.Offset;
        var table = reader.ReadBytes((int)Math.Clamp(names.Size, 0, MaxString));
        for (var i = 0; i < count; i++)
        {
            var section = Header(i);
            var end = section.Name < table.Length ? Array.IndexOf(table, (byte)0, (int)section.Name) : -1;
            if (end >= 0 && Encoding.ASCII.GetString(table, (int)section.Name, end - (int)section.Name) == Section)
            {
                return section.Offset;
            }
        }

        return null;
    }

    /// <summary>A string as Go writes it there: its length as a uvarint, then its bytes.</summary>
    private static string ReadString(BinaryReader reader)
    {
        var length = reader.Read7BitEncodedInt();
        return length is >= 0 and <= MaxString ? Encoding.UTF8.GetString(reader.ReadBytes(length)) : throw new FormatException("a build information string is too long");
    }
}
