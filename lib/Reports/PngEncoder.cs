using System.Buffers.Binary;
using System.IO.Compression;

namespace MjVideo.Reports;

/// <summary>
/// Writes 8-bit RGB images as PNG (ISO/IEC 15948): signature, IHDR, one zlib-compressed IDAT, IEND.
///
/// Written here rather than taken from SkiaSharp: the frames arrive already decoded and resized by ffmpeg, so nothing
/// but the container is needed, and that is the zlib stream System.IO.Compression provides plus a CRC-32; it adds no
/// native library to every output folder; and its bytes depend only on this code and .NET's zlib, so the answer
/// cache's key (which hashes the images sent) stays stable. Every row uses filter type 0 (None): the PNG filters
/// would shrink the upload somewhat, not change what the model sees.
/// </summary>
public static class PngEncoder
{
    public const string MediaType = "image/png";

    static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <param name="rgb">width * height * 3 bytes, rows top to bottom, pixels R, G, B.</param>
    public static byte[] EncodeRgb(ReadOnlySpan<byte> rgb, int width, int height, CompressionLevel level = CompressionLevel.Optimal)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"image size must be positive, got {width}x{height}");
        var rowBytes = width * 3;
        if (rgb.Length != (long)rowBytes * height)
            throw new ArgumentException($"{rgb.Length} bytes do not hold a {width}x{height} RGB image ({(long)rowBytes * height} bytes)", nameof(rgb));

        using var png = new MemoryStream();
        png.Write(Signature);

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = 8;  // bit depth
        header[9] = 2;  // colour type: truecolour (RGB)
        header[10] = 0; // compression: deflate
        header[11] = 0; // filter method 0 (adaptive, per-row filter byte)
        header[12] = 0; // no interlace
        WriteChunk(png, "IHDR"u8, header);

        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, level, leaveOpen: true))
            {
                for (var y = 0; y < height; y++)
                {
                    zlib.WriteByte(0); // filter type None
                    zlib.Write(rgb.Slice(y * rowBytes, rowBytes));
                }
            }
            WriteChunk(png, "IDAT"u8, compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        }
        WriteChunk(png, "IEND"u8, []);
        return png.ToArray();
    }

    /// <summary>length (big-endian), type, data, CRC-32 of type and data.</summary>
    static void WriteChunk(Stream output, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);
        output.Write(type);
        output.Write(data);
        var crc = Crc32.Update(Crc32.Update(Crc32.Initial, type), data) ^ Crc32.Initial;
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        output.Write(word);
    }
}

/// <summary>The CRC-32 of PNG and zlib's crc32 (reflected polynomial 0xEDB88320, initial value and final xor all ones).</summary>
public static class Crc32
{
    public const uint Initial = 0xFFFFFFFF;

    static readonly uint[] Table = BuildTable();

    static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }

    /// <summary>Continues a running register (start with <see cref="Initial"/>; xor the end result with it).</summary>
    public static uint Update(uint register, ReadOnlySpan<byte> data)
    {
        foreach (var b in data) register = Table[(register ^ b) & 0xFF] ^ (register >> 8);
        return register;
    }

    public static uint Compute(ReadOnlySpan<byte> data) => Update(Initial, data) ^ Initial;
}
