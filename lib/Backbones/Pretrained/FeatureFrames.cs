using MjVideo.Video;

namespace MjVideo.Backbones.Pretrained;

/// <summary>
/// Which frames of a video get cached feature maps, and which of those a preprocessing config reads.
/// <para>
/// The cache holds a fixed grid of frames per video: all of them when the video has at most <c>cachedFrames</c> frames
/// (SynthBench's 16), otherwise <c>cachedFrames</c> spread evenly from the first to the last. A preprocessing config (the
/// paper's 8 endpoint-exclusive frames, inclusive-uniform, by fps, any count) then becomes an index subset of the grid
/// instead of a new encoder run: each frame the rule asks for is read from the nearest cached frame (the earlier one on
/// a tie). While the video fits the grid, that is exactly the frame asked for.
/// </para>
/// </summary>
public static class FeatureFrames
{
    /// <summary>The source frame indices whose feature maps are cached, in order.</summary>
    public static int[] Grid(int frameCount, int cachedFrames)
    {
        if (cachedFrames < 1) throw new ArgumentException($"cachedFrames must be positive, got {cachedFrames}");
        return FrameSampler.Indices(frameCount, Math.Min(frameCount, cachedFrames), FrameSampling.InclusiveUniform);
    }

    /// <summary>Positions in <see cref="Grid"/> of the frames <paramref name="preprocessing"/> samples from the video.</summary>
    /// <param name="fps">the video's frame rate (only the by-fps rule uses it)</param>
    public static int[] Positions(int frameCount, double fps, int cachedFrames, Preprocessing preprocessing)
    {
        var grid = Grid(frameCount, cachedFrames);
        var wanted = FrameSampler.Indices(frameCount, preprocessing, fps);
        return wanted.Select(frame => Nearest(grid, frame)).ToArray();
    }

    static int Nearest(int[] grid, int frame)
    {
        var best = 0;
        for (var j = 1; j < grid.Length; j++)
            if (Math.Abs(grid[j] - frame) < Math.Abs(grid[best] - frame)) best = j;
        return best;
    }
}
