using System.Buffers.Binary;
using System.Text;

namespace MjVideo.Video;

/// <summary>
/// Reads the first video track's frame count, rate, size and duration from an MP4/MOV file's sample table (ISO/IEC
/// 14496-12 boxes: moov/trak/mdia/{mdhd,hdlr,minf/stbl/{stsd,stts,stsz|stz2,ctts}} and trak/edts/elst) without starting
/// a process. Gives no info whenever the file is not a plain (non-fragmented) MP4 or holds anything this reader does not
/// model exactly, so the caller asks ffprobe instead: a wrong count would silently shift every sampled index.
/// </summary>
internal static class Mp4Header
{
    /// <param name="Info">the probe, or null when ffprobe must answer</param>
    /// <param name="EditListMayHideFrames">the edit list may hide frames (it is anything but one edit showing the whole
    /// track), so the sample count (and ffprobe's nb_frames, the same number) may overstate what a decoder delivers:
    /// only counting decoded frames is exact</param>
    public readonly record struct Reading(VideoInfo? Info, bool EditListMayHideFrames);

    /// <summary>A moov box larger than this (hours of video) is left to ffprobe rather than read into memory.</summary>
    const long MaxMoovBytes = 64L << 20;

    public static Reading Read(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.RandomAccess);
            var moov = ReadTopLevelMoov(file);
            return moov is null ? default : ReadFirstVideoTrack(path, moov);
        }
        catch (Exception e) when (e is IOException or ArgumentOutOfRangeException or IndexOutOfRangeException or OverflowException)
        {
            return default;
        }
    }

    static byte[]? ReadTopLevelMoov(FileStream file)
    {
        var header = new byte[16];
        long position = 0;
        var first = true;
        while (position + 8 <= file.Length)
        {
            file.Position = position;
            file.ReadExactly(header, 0, 8);
            long size = BinaryPrimitives.ReadUInt32BigEndian(header);
            var type = Encoding.ASCII.GetString(header, 4, 4);
            var headerSize = 8;
            if (size == 1)
            {
                file.ReadExactly(header, 8, 8);
                size = (long)BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(8));
                headerSize = 16;
            }
            else if (size == 0)
            {
                size = file.Length - position;
            }
            // Only files that open with an ftyp box are treated as ISO media; anything else goes to ffprobe.
            if (first && type != "ftyp") return null;
            first = false;
            if (size < headerSize || position + size > file.Length) return null;
            if (type == "moov")
            {
                if (size > MaxMoovBytes) return null;
                var moov = new byte[size - headerSize];
                file.Position = position + headerSize;
                file.ReadExactly(moov);
                return moov;
            }
            position += size;
        }
        return null;
    }

    /// <summary>The direct children of a box's payload, as (type, payload) pairs.</summary>
    static IEnumerable<(string Type, ReadOnlyMemory<byte> Payload)> Children(ReadOnlyMemory<byte> payload)
    {
        var offset = 0;
        while (offset + 8 <= payload.Length)
        {
            var span = payload.Span;
            long size = BinaryPrimitives.ReadUInt32BigEndian(span[offset..]);
            var type = Encoding.ASCII.GetString(span.Slice(offset + 4, 4));
            var headerSize = 8;
            if (size == 1)
            {
                size = (long)BinaryPrimitives.ReadUInt64BigEndian(span[(offset + 8)..]);
                headerSize = 16;
            }
            else if (size == 0)
            {
                size = payload.Length - offset;
            }
            if (size < headerSize || offset + size > payload.Length) throw new IndexOutOfRangeException($"box '{type}' overruns its parent");
            yield return (type, payload.Slice(offset + headerSize, (int)size - headerSize));
            offset += (int)size;
        }
    }

    static ReadOnlyMemory<byte>? Child(ReadOnlyMemory<byte> payload, string type)
    {
        foreach (var (childType, childPayload) in Children(payload))
            if (childType == type) return childPayload;
        return null;
    }

    static Reading ReadFirstVideoTrack(string path, byte[] moovBytes)
    {
        ReadOnlyMemory<byte> moov = moovBytes;
        // Fragmented files keep their samples in moof boxes that the sample table does not count.
        if (Child(moov, "mvex") is not null) return default;
        if (Child(moov, "mvhd") is not { } mvhd) return default;
        var movieTimescale = ReadTimescale(mvhd.Span);
        foreach (var (type, trak) in Children(moov))
        {
            if (type != "trak") continue;
            if (Child(trak, "mdia") is not { } mdia) continue;
            if (Child(mdia, "hdlr") is not { } hdlr || hdlr.Length < 12 || Encoding.ASCII.GetString(hdlr.Span.Slice(8, 4)) != "vide") continue;
            // ffprobe's v:0 is the first video track; if this one is not understood, ffprobe answers for the file.
            return ReadVideoTrack(path, trak, mdia, movieTimescale);
        }
        return default;
    }

    static Reading ReadVideoTrack(string path, ReadOnlyMemory<byte> trak, ReadOnlyMemory<byte> mdia, long movieTimescale)
    {
        if (Child(mdia, "mdhd") is not { } mdhd) return default;
        var timescale = ReadTimescale(mdhd.Span);
        if (timescale <= 0) return default;
        if (Child(mdia, "minf") is not { } minf || Child(minf, "stbl") is not { } stbl) return default;

        var (width, height) = ReadSampleEntrySize(stbl);
        if (width <= 0 || height <= 0) return default;
        var sampleCount = ReadSampleCount(stbl);
        if (sampleCount is not (> 0 and <= int.MaxValue)) return default;
        if (Child(stbl, "stts") is not { } stts) return default;
        var (timedSamples, totalDuration, smallestDelta) = SumTimeToSample(stts.Span);
        if (timedSamples != sampleCount || totalDuration <= 0) return default;

        var firstCompositionOffset = Child(stbl, "ctts") is { } ctts ? FirstCompositionOffset(ctts.Span) : 0;
        if (!EditListKeepsEveryFrame(trak, movieTimescale, timescale, totalDuration, firstCompositionOffset, smallestDelta))
            return new Reading(null, EditListMayHideFrames: true);

        var fps = (double)sampleCount.Value * timescale / totalDuration;
        return new Reading(new VideoInfo(path, (int)sampleCount.Value, fps, width, height, (double)totalDuration / timescale, FrameCountSource.Mp4SampleTable), false);
    }

    /// <summary>mvhd and mdhd share the layout up to the timescale: version 1 uses 64-bit creation/modification times.</summary>
    static long ReadTimescale(ReadOnlySpan<byte> fullBox) =>
        fullBox[0] == 1 ? BinaryPrimitives.ReadUInt32BigEndian(fullBox[20..]) : BinaryPrimitives.ReadUInt32BigEndian(fullBox[12..]);

    /// <summary>Width and height of the single visual sample entry (e.g. avc1): 8 bytes of box header and 24 bytes of
    /// SampleEntry/VisualSampleEntry fields precede them.</summary>
    static (int Width, int Height) ReadSampleEntrySize(ReadOnlyMemory<byte> stbl)
    {
        if (Child(stbl, "stsd") is not { } stsd) return (0, 0);
        var span = stsd.Span;
        var entries = BinaryPrimitives.ReadUInt32BigEndian(span[4..]);
        // Several sample descriptions can switch size mid-stream; leave those to ffprobe.
        if (entries != 1) return (0, 0);
        var entry = span[8..];
        return (BinaryPrimitives.ReadUInt16BigEndian(entry[32..]), BinaryPrimitives.ReadUInt16BigEndian(entry[34..]));
    }

    static long? ReadSampleCount(ReadOnlyMemory<byte> stbl)
    {
        // stsz: version/flags, sample_size, sample_count; stz2: version/flags, reserved + field_size, sample_count.
        if (Child(stbl, "stsz") is { } stsz) return BinaryPrimitives.ReadUInt32BigEndian(stsz.Span[8..]);
        if (Child(stbl, "stz2") is { } stz2) return BinaryPrimitives.ReadUInt32BigEndian(stz2.Span[8..]);
        return null;
    }

    static (long Samples, long Duration, long SmallestDelta) SumTimeToSample(ReadOnlySpan<byte> stts)
    {
        var entries = BinaryPrimitives.ReadUInt32BigEndian(stts[4..]);
        long samples = 0, duration = 0, smallest = long.MaxValue;
        for (var i = 0; i < entries; i++)
        {
            long count = BinaryPrimitives.ReadUInt32BigEndian(stts[(8 + 8 * i)..]);
            long delta = BinaryPrimitives.ReadUInt32BigEndian(stts[(12 + 8 * i)..]);
            samples += count;
            duration += count * delta;
            if (count > 0 && delta > 0) smallest = Math.Min(smallest, delta);
        }
        return (samples, duration, smallest == long.MaxValue ? 0 : smallest);
    }

    /// <summary>The first sample's composition offset (B-frame delay). Version 1 offsets are signed.</summary>
    static long FirstCompositionOffset(ReadOnlySpan<byte> ctts)
    {
        if (BinaryPrimitives.ReadUInt32BigEndian(ctts[4..]) == 0) return 0;
        return ctts[0] == 1 ? BinaryPrimitives.ReadInt32BigEndian(ctts[12..]) : BinaryPrimitives.ReadUInt32BigEndian(ctts[12..]);
    }

    /// <summary>
    /// True when the edit list (if any) shows the whole track: no list, or one edit at normal speed that starts at or
    /// before the first frame's presentation time (encoders shift by the B-frame delay) and lasts to the end (within half
    /// a frame, for the rounding into the movie timescale). Anything else may drop frames at decode time, so the sample
    /// count would overstate the frames ffmpeg delivers.
    /// </summary>
    static bool EditListKeepsEveryFrame(ReadOnlyMemory<byte> trak, long movieTimescale, long mediaTimescale,
        long mediaDuration, long firstCompositionOffset, long smallestDelta)
    {
        if (Child(trak, "edts") is not { } edts || Child(edts, "elst") is not { } elst) return true;
        var span = elst.Span;
        var version = span[0];
        var entries = BinaryPrimitives.ReadUInt32BigEndian(span[4..]);
        if (entries != 1 || movieTimescale <= 0) return false;
        var entry = span[8..];
        long segmentDuration, mediaTime;
        int rate;
        if (version == 1)
        {
            segmentDuration = (long)BinaryPrimitives.ReadUInt64BigEndian(entry);
            mediaTime = BinaryPrimitives.ReadInt64BigEndian(entry[8..]);
            rate = BinaryPrimitives.ReadInt16BigEndian(entry[16..]);
        }
        else
        {
            segmentDuration = BinaryPrimitives.ReadUInt32BigEndian(entry);
            mediaTime = BinaryPrimitives.ReadInt32BigEndian(entry[4..]);
            rate = BinaryPrimitives.ReadInt16BigEndian(entry[8..]);
        }
        if (rate != 1 || segmentDuration == 0 || mediaTime < 0 || mediaTime > firstCompositionOffset) return false;
        var shownMedia = (double)segmentDuration * mediaTimescale / movieTimescale + (firstCompositionOffset - mediaTime);
        return shownMedia >= mediaDuration - smallestDelta / 2.0;
    }
}
