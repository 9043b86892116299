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
    public static Tensor Loss(Tensor scores, IReadOnlyList<string> captions) => Loss(scores, captions, captions);

    /// <summary>
    /// The loss from scores [V, C] of <paramref name="videoCaptions"/>' videos against <paramref name="columnCaptions"/>:
    /// a video's positives are the columns that hold its own caption. The video-to-caption term runs over every row; the
    /// caption-to-video term over the columns that are some video's caption (a hard negative, e.g. a one-word swap of a
    /// caption, has no video of its own and only competes in the rows).
    /// </summary>
    public static Tensor Loss(Tensor scores, IReadOnlyList<string> videoCaptions, IReadOnlyList<string> columnCaptions)
    {
        var (v, c) = (videoCaptions.Count, columnCaptions.Count);
        if (scores.dim() != 2 || scores.shape[0] != v || scores.shape[1] != c)
            throw new ArgumentException($"grounding scores [{string.Join(", ", scores.shape)}] for {v} videos and {c} captions: expected [{v}, {c}]");
        using var scope = NewDisposeScope();
        var same = new bool[v * c];
        for (var i = 0; i < v; i++)
            for (var j = 0; j < c; j++)
                same[i * c + j] = videoCaptions[i] == columnCaptions[j];
        if (Enumerable.Range(0, v).Any(i => !Enumerable.Range(0, c).Any(j => same[i * c + j])))
            throw new ArgumentException("every video's own caption must be among the columns");
        var owned = Enumerable.Range(0, c).Where(j => Enumerable.Range(0, v).Any(i => same[i * c + j])).Select(j => (long)j).ToArray();
        using var positive = tensor(same, [v, c]);
        var logits = HeldScalars.With(LogitScale, s => scores.mul(s));
        var onPositives = HeldScalars.With(-1e4, s => logits.masked_fill(positive.logical_not(), s));
        var videoToCaption = logits.logsumexp(1, keepdim: false) - onPositives.logsumexp(1, keepdim: false);
        using var ownedColumns = tensor(owned);
        var captionToVideo = logits.index_select(1, ownedColumns).logsumexp(0, keepdim: false)
                             - onPositives.index_select(1, ownedColumns).logsumexp(0, keepdim: false);
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
