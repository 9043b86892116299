using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using MjVideo.Core;

namespace MjVideo.Video;

/// <summary>
/// Decoded clips on disk, so that a clip is decoded once per preprocessing config. A hit reads one file and starts no
/// process.
///
/// Key: SHA-256 of the video file's bytes plus <see cref="Preprocessing.Hash"/>. A content hash rather than path + size +
/// modification time because SynthBench regenerates byte-identical files (a new mtime must not invalidate the cache),
/// a copied or moved dataset should still hit, and a file rewritten within the clock's granularity at the same size
/// must not return stale frames. Hashing costs a read of the file: ~20 kB for a SynthBench clip and a few MB for a
/// real one, milliseconds against 100+ ms of decoding; within one process the hash is remembered per
/// (path, size, mtime) so repeated epochs read nothing but the entry.
///
/// Entry layout (little-endian): magic "MJVCLIP1"; int32 T, H, W; the source's int32 frame count, float64 fps, int32
/// width, int32 height, float64 duration, int32 frame-count source; T int32 indices; T*H*W*3 bytes of RGB; SHA-256 of
/// everything before it. An entry that fails any check is deleted and the clip decoded again.
/// </summary>
public sealed class ClipCache
{
    static readonly byte[] Magic = "MJVCLIP1"u8.ToArray();
    const int HeaderBytes = 8 + 4 * 3 + 4 + 8 + 4 + 4 + 8 + 4;
    const int ChecksumBytes = 32;

    readonly ConcurrentDictionary<(string Path, long Size, DateTime WriteTime), string> contentHashes = new();
    long hits, misses, rejected;

    public ClipCache(string directory)
    {
        Directory = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(Directory);
    }

    /// <summary>The default place: data/cache/clips in the workbook (git-ignored); the workbook found from the current
    /// folder when none is given.</summary>
    public static ClipCache InWorkbook(Workbook? workbook = null) => new(Path.Combine((workbook ?? Workbook.Open()).CacheDir, "clips"));

    public string Directory { get; }
    public long Hits => Interlocked.Read(ref hits);
    public long Misses => Interlocked.Read(ref misses);

    /// <summary>Entries found corrupt (or not matching their key) and thrown away.</summary>
    public long Rejected => Interlocked.Read(ref rejected);

    /// <summary>"{preprocessing hash}/{content hash}": one folder per preprocessing config, so a config's clips can be
    /// deleted together.</summary>
    public string KeyFor(string videoPath, Preprocessing preprocessing) => $"{preprocessing.Hash()}/{ContentHash(videoPath)}";

    public string EntryPath(string key) => Path.Combine(Directory, key.Replace('/', Path.DirectorySeparatorChar) + ".clip");

    public bool TryLoad(string key, string videoPath, Preprocessing preprocessing, out Clip? clip)
    {
        clip = null;
        var entry = EntryPath(key);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(entry);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            Interlocked.Increment(ref misses);
            return false;
        }
        clip = Parse(bytes, Path.GetFullPath(videoPath), preprocessing);
        if (clip is null)
        {
            Interlocked.Increment(ref rejected);
            Interlocked.Increment(ref misses);
            TryDelete(entry);
            return false;
        }
        Interlocked.Increment(ref hits);
        return true;
    }

    /// <summary>Writes the entry atomically (a unique temporary file, then a rename), so a reader never sees half of it
    /// and two processes storing the same clip do not interfere.</summary>
    public void Store(string key, Clip clip)
    {
        var entry = EntryPath(key);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(entry)!);
        var bytes = Serialize(clip);
        var temporary = $"{entry}.{Guid.NewGuid():N}.tmp";
        try
        {
            File.WriteAllBytes(temporary, bytes);
            File.Move(temporary, entry, overwrite: true);
        }
        finally
        {
            TryDelete(temporary);
        }
    }

    string ContentHash(string videoPath)
    {
        var file = new FileInfo(Path.GetFullPath(videoPath));
        if (!file.Exists) throw new FileNotFoundException($"{file.FullName}: no such video file", file.FullName);
        return contentHashes.GetOrAdd((file.FullName, file.Length, file.LastWriteTimeUtc), _ =>
        {
            using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            return Convert.ToHexString(SHA256.HashData(stream))[..32].ToLowerInvariant();
        });
    }

    static byte[] Serialize(Clip clip)
    {
        var t = clip.FrameCount;
        var bodyBytes = HeaderBytes + 4 * t + clip.Frames.Length;
        var bytes = new byte[bodyBytes + ChecksumBytes];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        var source = clip.Source;
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], t);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], clip.Height);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], clip.Width);
        BinaryPrimitives.WriteInt32LittleEndian(span[20..], source.FrameCount);
        BinaryPrimitives.WriteDoubleLittleEndian(span[24..], source.Fps);
        BinaryPrimitives.WriteInt32LittleEndian(span[32..], source.Width);
        BinaryPrimitives.WriteInt32LittleEndian(span[36..], source.Height);
        BinaryPrimitives.WriteDoubleLittleEndian(span[40..], source.DurationSeconds);
        BinaryPrimitives.WriteInt32LittleEndian(span[48..], (int)source.FrameCountSource);
        for (var i = 0; i < t; i++) BinaryPrimitives.WriteInt32LittleEndian(span[(HeaderBytes + 4 * i)..], clip.Indices[i]);
        clip.Frames.CopyTo(span[(HeaderBytes + 4 * t)..]);
        SHA256.HashData(span[..bodyBytes], span[bodyBytes..]);
        return bytes;
    }

    /// <summary>The clip an entry holds, or null when it is corrupt or was written for another config.</summary>
    static Clip? Parse(byte[] bytes, string videoPath, Preprocessing preprocessing)
    {
        var span = bytes.AsSpan();
        if (bytes.Length < HeaderBytes + ChecksumBytes || !span[..8].SequenceEqual(Magic)) return null;
        var t = BinaryPrimitives.ReadInt32LittleEndian(span[8..]);
        var height = BinaryPrimitives.ReadInt32LittleEndian(span[12..]);
        var width = BinaryPrimitives.ReadInt32LittleEndian(span[16..]);
        if (t != preprocessing.Frames || height != preprocessing.Height || width != preprocessing.Width) return null;
        var frameBytes = (long)t * height * width * 3;
        var bodyBytes = HeaderBytes + 4L * t + frameBytes;
        if (bytes.Length != bodyBytes + ChecksumBytes) return null;
        Span<byte> checksum = stackalloc byte[ChecksumBytes];
        SHA256.HashData(span[..(int)bodyBytes], checksum);
        if (!checksum.SequenceEqual(span[(int)bodyBytes..])) return null;

        var source = new VideoInfo(videoPath,
            FrameCount: BinaryPrimitives.ReadInt32LittleEndian(span[20..]),
            Fps: BinaryPrimitives.ReadDoubleLittleEndian(span[24..]),
            Width: BinaryPrimitives.ReadInt32LittleEndian(span[32..]),
            Height: BinaryPrimitives.ReadInt32LittleEndian(span[36..]),
            DurationSeconds: BinaryPrimitives.ReadDoubleLittleEndian(span[40..]),
            FrameCountSource: (FrameCountSource)BinaryPrimitives.ReadInt32LittleEndian(span[48..]));
        var indices = new int[t];
        for (var i = 0; i < t; i++)
        {
            indices[i] = BinaryPrimitives.ReadInt32LittleEndian(span[(HeaderBytes + 4 * i)..]);
            if (indices[i] < 0 || indices[i] >= source.FrameCount) return null;
        }
        var frames = span.Slice(HeaderBytes + 4 * t, (int)frameBytes).ToArray();
        return new Clip(frames, width, height, indices, source, preprocessing);
    }

    static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
