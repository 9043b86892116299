using System.Security.Cryptography;
using System.Text;
using MjVideo.Backbones;
using MjVideo.Data;
using MjVideo.Model;
using static TorchSharp.torch;

namespace MjVideo.Training;

/// <summary>
/// A dataset ready for training or evaluation: every video prepared by the backbone once and kept in memory, and every
/// pair's targets. Pair i's videos are prepared inputs 2i (video_0) and 2i + 1 (video_1).
/// </summary>
public sealed class TrainingData : IDisposable
{
    readonly BackboneInputs inputs;

    TrainingData(PreferenceDataset dataset, BackboneInputs inputs)
    {
        Dataset = dataset;
        this.inputs = inputs;
        Targets = dataset.Pairs.Select(p => PairTargets.From(p, BadLabelEncoding.MinusOne)).ToList();
        OverallLabels = dataset.Pairs.Select(p => p.Overall).ToArray();
        Fingerprint = FingerprintOf(dataset);
    }

    public PreferenceDataset Dataset { get; }

    public int Count => Dataset.Pairs.Count;

    /// <summary>Per pair, its targets (signed; each loss derives its BCE labels itself).</summary>
    public IReadOnlyList<PairTargets> Targets { get; }

    public PreferenceLabel[] OverallLabels { get; }

    /// <summary>Identifies the pairs and their labels, so that a checkpoint is only resumed on the data it was trained on.</summary>
    public string Fingerprint { get; }

    /// <summary>
    /// The videos of a dataset as a backbone sees them: pair by pair, video_0 then video_1. The id is the video path as
    /// the file writes it (the key of precomputed states); the path is resolved under the videos root. Without a videos
    /// root the path is empty, never the id itself: taken as a path, the id would resolve against the working directory
    /// and could find other clips there. Only backbones that never open files (precomputed states) can use such items.
    /// </summary>
    public static IReadOnlyList<VideoItem> VideoItems(PreferenceDataset dataset) =>
        dataset.Pairs.SelectMany(pair => new[] { 0, 1 }.Select(v => new VideoItem(
            pair.VideoPath(v),
            dataset.VideosRoot is null ? "" : dataset.ResolveVideo(pair, v),
            pair.Caption))).ToList();

    public static async Task<TrainingData> PrepareAsync(PreferenceDataset dataset, IBackbone backbone, CancellationToken cancellation = default)
    {
        if (dataset.Pairs.Count == 0) throw new ArgumentException($"{dataset.SourceFile}: no pairs to train or evaluate on");
        var items = VideoItems(dataset);
        var inputs = await backbone.PrepareAsync(items, cancellation);
        if (inputs.Count != items.Count)
        {
            inputs.Dispose();
            throw new InvalidOperationException($"backbone {backbone.Id} prepared {inputs.Count} inputs for {items.Count} videos");
        }
        return new TrainingData(dataset, inputs);
    }

    /// <summary>The inputs of some pairs, video_0 of each first and then video_1 of each, so that one forward pass over
    /// 2B rows gives video_0's outputs in rows [0, B) and video_1's in rows [B, 2B).</summary>
    public BackboneInputs SelectPairs(IReadOnlyList<int> pairs) =>
        inputs.Select(pairs.Select(p => 2 * p).Concat(pairs.Select(p => 2 * p + 1)).ToList());

    public TargetBatch TargetsOf(IReadOnlyList<int> pairs, Device? device = null) =>
        TargetBatch.From(pairs.Select(p => Targets[p]).ToList(), device);

    static string FingerprintOf(PreferenceDataset dataset)
    {
        var text = new StringBuilder();
        foreach (var pair in dataset.Pairs)
        {
            text.Append(pair.Caption).Append('\u001f').Append(pair.Video0).Append('\u001f').Append(pair.Video1).Append('\u001f')
                .Append(pair.Overall).Append('\u001f').Append(string.Join(",", pair.AspectPreferences)).Append('\u001f');
            foreach (var labels in new[] { pair.Labels0, pair.Labels1 })
                text.Append(labels is null ? "-" : $"{string.Join("", labels.CriterionCodes)}/{string.Join("", labels.AspectCodes)}/{labels.TotalCode}")
                    .Append('\u001f');
            text.Append('\u001e');
        }
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16].ToLowerInvariant();
    }

    public void Dispose() => inputs.Dispose();
}
