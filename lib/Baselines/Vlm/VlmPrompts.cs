using MjVideo.Taxonomy;

namespace MjVideo.Baselines.Vlm;

/// <summary>What one prompt asks the judge to rate: the video overall, one aspect, or one criterion.</summary>
public sealed record RatingTarget(RatingTargetKind Kind, int Index = 0)
{
    public static RatingTarget Overall { get; } = new(RatingTargetKind.Overall);
    public static RatingTarget ForAspect(Aspect aspect) => new(RatingTargetKind.Aspect, aspect.Index);
    public static RatingTarget ForCriterion(Criterion criterion) => new(RatingTargetKind.Criterion, criterion.Index);

    public override string ToString() => Kind switch
    {
        RatingTargetKind.Overall => "overall",
        RatingTargetKind.Aspect => $"aspect {MjTaxonomy.Aspects[Index].DisplayName}",
        _ => $"criterion {MjTaxonomy.Criteria[Index].Key}",
    };
}

public enum RatingTargetKind { Overall, Aspect, Criterion }

/// <summary>
/// The judge prompts (paper-digest 3.1, 3.2), in this project's own words: a text-to-video quality assessor predicts
/// whether people would prefer the video and answers on the 10-level scale, without analysis or refusal, exactly as
/// <c>{RATING: X}</c>. The fine-grained variants name the aspect (or criterion, with its aspect) and its definition from
/// <see cref="MjTaxonomy"/>. Changing any wording changes the answer cache's keys, since the prompt text is part of them;
/// bump <see cref="Version"/> with it so that results say which wording produced them.
/// </summary>
public static class VlmPrompts
{
    public const string Version = "mjvideo-vlm-prompts-1";

    static readonly string Scale = string.Join(", ", RatingScale.Levels.Select((l, i) => $"{l} ({i + 1})"));

    public static string For(RatingTarget target, string caption, int frameCount) => target.Kind switch
    {
        RatingTargetKind.Overall => Overall(caption, frameCount),
        RatingTargetKind.Aspect => ForAspect(MjTaxonomy.Aspects[target.Index], caption, frameCount),
        RatingTargetKind.Criterion => ForCriterion(MjTaxonomy.Criteria[target.Index], caption, frameCount),
        _ => throw new ArgumentOutOfRangeException(nameof(target), target.Kind, "unknown rating target"),
    };

    public static string Overall(string caption, int frameCount) => Compose(
        caption, frameCount,
        "Predict how much people who asked for this video would like it: would they prefer it as the result of the " +
        "text prompt below? Take everything into account: how well it follows the prompt, its visual quality, its " +
        "consistency over time, and whether it is safe and fair.");

    public static string ForAspect(Aspect aspect, string caption, int frameCount) => Compose(
        caption, frameCount,
        $"Judge one aspect of the video only, \"{aspect.DisplayName}\", defined as: {aspect.Definition} " +
        "Predict how people would rate the video on this aspect alone; the better the video does on it, the higher " +
        "the rating.");

    public static string ForCriterion(Criterion criterion, string caption, int frameCount) => Compose(
        caption, frameCount,
        $"Judge one criterion of the video only, \"{criterion.Key}\" (part of the aspect \"{criterion.Aspect.DisplayName}\"), " +
        $"defined as: {criterion.Definition} " +
        "Predict how people would rate the video on this criterion alone; the better the video does on it (where the " +
        "criterion names a problem, the less of that problem it shows), the higher the rating.");

    static string Compose(string caption, int frameCount, string task) =>
        "You are an experienced assessor of videos made by text-to-video generation models. " +
        $"The {frameCount} attached image{(frameCount == 1 ? " is a frame" : "s are frames")} of one generated video, in time order.\n" +
        task + "\n" +
        $"Choose one level of this scale, from worst to best: {Scale}.\n" +
        "Do not describe or analyse the video and do not decline: a rating is always required.\n" +
        $"Text prompt: \"{caption}\"\n" +
        "Answer with exactly {RATING: X}, where X is the name of the level you chose, and nothing else.";
}
