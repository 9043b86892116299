using MjVideo.Backbones;
using MjVideo.Backbones.Tiny;
using MjVideo.Core;
using MjVideo.Metrics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MjVideo.Experiments;

/// <summary>
/// The caption-matching pre-training term: for some videos of each batch, the encoder also reads the same clip under a
/// hard-negative caption (<see cref="CaptionSwaps"/>), and a linear probe on h_last must tell the true caption (1) from the
/// swap (0). The true and swapped readings of the same clips are paired, so the classes are balanced and nothing but the
/// swapped word differs between them. A video whose caption already misdescribes it (an alignment defect) still counts
/// as a match here: that label noise is a few percent of videos.
/// <para>
/// Only a share of each batch gets a negative (<see cref="BatchShare"/>), because every negative costs a second pass of
/// the encoder over its clip.
/// </para>
/// </summary>
public sealed class CaptionMatching : Module
{
    /// <summary>The share of each batch's videos read a second time under a swapped caption.</summary>
    public const double BatchShare = 0.25;

    public const string Term = "matching";

    BatchNorm1d standardise;
    Linear match_probe;

    public CaptionMatching(int hiddenSize, long seed) : base(nameof(CaptionMatching))
    {
        standardise = BatchNorm1d(hiddenSize, eps: 1e-9, affine: false);
        match_probe = Linear(hiddenSize, 1);
        RegisterComponents();
        using var generator = new Generator(unchecked((ulong)seed));
        SeededInit.Apply(this, generator);
    }

    /// <summary>Match logits [N] (above 0 = the caption fits the video).</summary>
    public Tensor Logits(Tensor hLast) => match_probe.forward(standardise.forward(hLast)).squeeze(1);

    /// <summary>
    /// The negatives of one batch: the first videos (up to <see cref="BatchShare"/> of the batch, at least one) whose
    /// captions have a swap, drawn with <paramref name="random"/>. Returns their positions within the batch and the inputs
    /// of their clips under the swapped captions, or null when no caption of the batch has a swap.
    /// </summary>
    public static (long[] Rows, TinyInputs Inputs)? Negatives(TinyInputs batch, IReadOnlyList<string> captions, CaptionTokenizer tokenizer,
        Random random, double share = BatchShare)
    {
        if (batch.Clips is null) throw new ArgumentException("caption matching needs clips: it is a video-and-caption term");
        if (captions.Count != batch.Count) throw new ArgumentException($"{captions.Count} captions for a batch of {batch.Count} videos");
        var wanted = Math.Max(1, (int)Math.Round(batch.Count * share));
        var rows = new List<long>();
        var swapped = new List<string>();
        for (var i = 0; i < captions.Count && rows.Count < wanted; i++)
        {
            if (CaptionSwaps.Swap(captions[i], random) is not { } other) continue;
            rows.Add(i);
            swapped.Add(other);
        }
        if (rows.Count == 0) return null;
        var tokens = tokenizer.EncodeBatch(swapped);
        using var index = tensor(rows.ToArray());
        var ids = rows.Select(r => batch.VideoIds[(int)r] + "#swap").ToList();
        return (rows.ToArray(), new TinyInputs(ids, batch.Clips.index_select(0, index), tokens.Ids, tokens.Mask));
    }

    /// <summary>Balanced BCE: the true captions' readings of the chosen rows against 1, their swaps' against 0.</summary>
    public Tensor Loss(Tensor trueLast, Tensor swappedLast)
    {
        using var scope = NewDisposeScope();
        var logits = Logits(cat([trueLast, swappedLast], 0));
        var targets = cat([ones(trueLast.shape[0], device: logits.device), zeros(swappedLast.shape[0], device: logits.device)], 0);
        return functional.binary_cross_entropy_with_logits(logits, targets).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The probe's AUC on held-out videos: every video with a swap (drawn with <paramref name="seed"/>) read under its
    /// true caption and under the swap, true ones positive. 0.5 is chance; a caption-blind encoder stays there.
    /// </summary>
    public double Auc(TinyVideoTextBackbone backbone, TinyInputs videos, IReadOnlyList<string> captions, long[] frameIndices, int seed)
    {
        var random = new Random(seed);
        var scores = new List<double>();
        var positive = new List<bool>();
        using var noGrad = no_grad();
        const int batch = 64;
        for (var start = 0; start < videos.Count; start += batch)
        {
            using var scope = NewDisposeScope();
            var positions = Enumerable.Range(start, Math.Min(batch, videos.Count - start)).ToArray();
            using var selected = (TinyInputs)videos.Select(positions);
            var negatives = Negatives(selected, positions.Select(p => captions[p]).ToList(), backbone.Tokenizer, random, share: 1.0);
            if (negatives is not { } found) continue;
            using var swappedInputs = found.Inputs;
            using var trueStates = FrameSubsetBackbone.ForwardOnFrames(backbone, selected, frameIndices);
            using var swappedStates = FrameSubsetBackbone.ForwardOnFrames(backbone, swappedInputs, frameIndices);
            using var rows = tensor(found.Rows);
            var trueScores = Logits(trueStates.HLast.index_select(0, rows)).data<float>().ToArray();
            var swappedScores = Logits(swappedStates.HLast).data<float>().ToArray();
            scores.AddRange(trueScores.Select(s => (double)s));
            positive.AddRange(trueScores.Select(_ => true));
            scores.AddRange(swappedScores.Select(s => (double)s));
            positive.AddRange(swappedScores.Select(_ => false));
        }
        return RankAuc.Of(scores, positive);
    }
}
