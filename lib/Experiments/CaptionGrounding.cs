using MjVideo.Backbones.Tiny;
using MjVideo.Core;
using static TorchSharp.torch;

namespace MjVideo.Experiments;

/// <summary>
/// The caption-grounding pre-training term of the v2 encoder: within a batch, each video's caption must find its words in
/// that video's cells better than the other captions do, and each caption must find them in its own video better than in
/// the others (a symmetric contrastive loss over <see cref="GridVideoTextModel.GroundingScores"/>). Every caption word
/// of every video is a training signal for the binding cross-attention's queries and keys, so "green" learns which cells
/// are green and "ring" which cells hold a ring, before any criterion asks whether the green ring is there.
/// <para>
/// Videos that share a caption (the two videos of a preference pair) are all positives of each other. A video whose
/// caption misdescribes it (an alignment defect) still counts as its caption's positive: that is label noise on a few
/// percent of the videos, and it is what the criteria term is there to tell apart.
/// </para>
/// </summary>
public static class CaptionGrounding
{
    public const string Term = "grounding";

    /// <summary>Multiplies the scores before the softmax: the averaged best-cell scores start near 0 with a spread of a
    /// fraction of one, which alone gives a near-uniform softmax and a weak gradient.</summary>
    public const double LogitScale = 4.0;

    /// <summary>
    /// The loss from scores [V, C] (video i against caption j, V = C, row i's own caption at column i) and which captions
    /// are equal: the mean of the video-to-caption and caption-to-video terms, each -log of the softmax mass on the
    /// positives.
    /// </summary>
    public static Tensor Loss(Tensor scores, IReadOnlyList<string> captions)
    {
        var n = captions.Count;
        if (scores.dim() != 2 || scores.shape[0] != n || scores.shape[1] != n)
            throw new ArgumentException($"grounding scores [{string.Join(", ", scores.shape)}] for {n} captions: expected [{n}, {n}]");
        using var scope = NewDisposeScope();
        var same = new bool[n * n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
                same[i * n + j] = captions[i] == captions[j];
        using var positive = tensor(same, [n, n]);
        var logits = HeldScalars.With(LogitScale, s => scores.mul(s));
        var onPositives = HeldScalars.With(-1e4, s => logits.masked_fill(positive.logical_not(), s));
        var videoToCaption = logits.logsumexp(1, keepdim: false) - onPositives.logsumexp(1, keepdim: false);
        var captionToVideo = logits.logsumexp(0, keepdim: false) - onPositives.logsumexp(0, keepdim: false);
        var loss = (videoToCaption.mean() + captionToVideo.mean()) / 2;
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>Top-1 accuracy of picking each video's own caption among the batch's (a caption shared with other videos
    /// counts as found when any of its copies wins).</summary>
    public static double VideoToCaptionAccuracy(Tensor scores, IReadOnlyList<string> captions)
    {
        using var noGrad = no_grad();
        using var best = scores.argmax(1);
        var picks = best.data<long>().ToArray();
        return picks.Select((j, i) => captions[(int)j] == captions[i] ? 1.0 : 0.0).Average();
    }
}
