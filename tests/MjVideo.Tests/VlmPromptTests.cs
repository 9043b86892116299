using MjVideo.Baselines.Vlm;
using MjVideo.Taxonomy;

namespace MjVideo.Tests;

public sealed class VlmPromptTests
{
    const string Caption = "a dog playing a saxophone";

    [Fact]
    public void Overall_prompt_has_the_task_the_scale_in_order_the_caption_and_the_format()
    {
        var prompt = VlmPrompts.Overall(Caption, 8);

        Assert.Contains("text-to-video", prompt);
        Assert.Contains("prefer", prompt);
        Assert.Contains("The 8 attached images are frames of one generated video, in time order.", prompt);
        Assert.Contains($"Text prompt: \"{Caption}\"", prompt);
        Assert.Contains("Do not describe or analyse the video and do not decline", prompt);
        Assert.EndsWith("Answer with exactly {RATING: X}, where X is the name of the level you chose, and nothing else.", prompt);
        var positions = RatingScale.Levels.Select((level, i) => prompt.IndexOf($"{level} ({i + 1})", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(-1, positions);
        Assert.Equal(positions.Order(), positions);
    }

    [Fact]
    public void One_frame_is_described_in_the_singular() =>
        Assert.Contains("The 1 attached image is a frame of one generated video", VlmPrompts.Overall(Caption, 1));

    [Fact]
    public void Aspect_prompts_name_the_aspect_and_its_definition()
    {
        foreach (var aspect in MjTaxonomy.Aspects)
        {
            var prompt = VlmPrompts.For(RatingTarget.ForAspect(aspect), Caption, 3);
            Assert.Contains($"\"{aspect.DisplayName}\", defined as: {aspect.Definition}", prompt);
            Assert.Contains($"Text prompt: \"{Caption}\"", prompt);
            Assert.Contains("{RATING: X}", prompt);
        }
    }

    [Fact]
    public void Criterion_prompts_name_the_criterion_its_aspect_and_its_definition()
    {
        foreach (var criterion in MjTaxonomy.Criteria)
        {
            var prompt = VlmPrompts.For(RatingTarget.ForCriterion(criterion), Caption, 3);
            Assert.Contains($"\"{criterion.Key}\" (part of the aspect \"{criterion.Aspect.DisplayName}\"), defined as: {criterion.Definition}", prompt);
            Assert.Contains("the less of that problem it shows", prompt);
        }
    }

    [Fact]
    public void All_34_prompts_differ()
    {
        var targets = new[] { RatingTarget.Overall }
            .Concat(MjTaxonomy.Aspects.Select(RatingTarget.ForAspect))
            .Concat(MjTaxonomy.Criteria.Select(RatingTarget.ForCriterion)).ToList();

        Assert.Equal(34, targets.Select(t => VlmPrompts.For(t, Caption, 8)).Distinct().Count());
        Assert.Equal("criterion NSFW Subtle", RatingTarget.ForCriterion(MjTaxonomy.Criteria[9]).ToString());
    }
}
