using MjVideo.Data;

namespace MjVideo.Backbones;

/// <summary>
/// The videos of a dataset as backbones see them. A video's id is its path as the dataset file writes it (e.g.
/// "test/12_0.mp4"): unique within a release, the same on every machine and wherever the videos folder lives, and the
/// key a state dump made elsewhere uses for the same video (DESIGN 5, precomputed states).
/// </summary>
public static class BackboneVideos
{
    public static VideoItem Of(PreferenceDataset dataset, PreferencePair pair, int video) =>
        new(pair.VideoPath(video), dataset.ResolveVideo(pair, video), pair.Caption);

    /// <summary>Both videos of every pair, in pair order (video_0 then video_1).</summary>
    public static IReadOnlyList<VideoItem> Of(PreferenceDataset dataset) =>
        dataset.Pairs.SelectMany(pair => new[] { Of(dataset, pair, 0), Of(dataset, pair, 1) }).ToList();
}
