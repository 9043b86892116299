using System.Text.Json.Nodes;
using MjVideo.Backbones.Tiny;
using MjVideo.Synth;

namespace MjVideo.Experiments;

/// <summary>Which frozen states a head trains on: the encoder's inputs (both, caption only, video only) and its frames.</summary>
public sealed record BackboneChoice(TinyModalities Modalities, FrameChoice Frames)
{
    /// <summary>The small encoder on video and caption, the paper's 8 frames.</summary>
    public static BackboneChoice Default { get; } = new(TinyModalities.VideoAndCaption, FrameChoice.Paper);

    public static BackboneChoice CaptionOnly { get; } = new(TinyModalities.CaptionOnly, FrameChoice.Paper);
    public static BackboneChoice VideoOnly { get; } = new(TinyModalities.VideoOnly, FrameChoice.Paper);

    /// <summary>No encoder: the generator's true per-video severities and the caption's true weights and relevance
    /// (<see cref="OracleInputStates"/>). A diagnostic row: what the head can do when the encoder is perfect.</summary>
    public static BackboneChoice OracleInputs { get; } = new(TinyModalities.VideoAndCaption, FrameChoice.Paper) { FromOracle = true };

    /// <summary>The states come from the oracle files, not from an encoder.</summary>
    public bool FromOracle { get; init; }

    /// <summary>"8-paper", "caption-only", "video-only-8-paper".</summary>
    public string Key => FromOracle ? "oracle-inputs" : Modalities switch
    {
        TinyModalities.VideoAndCaption => Frames.Key,
        TinyModalities.CaptionOnly => "caption-only",
        _ => "video-only-" + Frames.Key,
    };

    public string Describe(int clipFrames) => FromOracle
        ? "oracle inputs: true criterion severities, caption aspect weights and relevance (no encoder)"
        : Modalities switch
    {
        TinyModalities.VideoAndCaption => $"small encoder, {Frames.Describe(clipFrames)}",
        TinyModalities.CaptionOnly => "small encoder, caption only (no video)",
        _ => $"small encoder, video only (no caption), {Frames.Describe(clipFrames)}",
    };
}

/// <summary>How a head run gets its learning rate.</summary>
/// <param name="SearchGrid">search these rates on val (the judge's own search)</param>
/// <param name="From">reuse the rate the run with this cell key chose (which must have run first)</param>
public sealed record LearningRateSource(IReadOnlyList<double>? SearchGrid, string? From)
{
    public static LearningRateSource Search(IReadOnlyList<double> grid) => new(grid, null);
    public static LearningRateSource ChosenBy(HeadCell cell) => new(null, cell.Key);

    public JsonObject ToJson() => SearchGrid is { } grid
        ? new JsonObject { ["search"] = new JsonArray(grid.Select(r => (JsonNode?)JsonValue.Create(r)).ToArray()) }
        : new JsonObject { ["chosen_by"] = From };
}

/// <summary>
/// One head training and its evaluation: an experiment's variant on one rule family, seed and backbone.
/// <see cref="Key"/> names it in results/ (<c>config.experiment.key</c>).
/// </summary>
public sealed record HeadCell(string Experiment, HeadVariant Variant, RuleFamily Family, long Seed, BackboneChoice Backbone,
    LearningRateSource LearningRate)
{
    public string Key => $"{Experiment}/{Family.Name()}/{Variant.Key}/{Backbone.Key}/seed-{Seed}";

    /// <summary>The row name: the variant's, with the states it reads when they are not the default encoder's.</summary>
    public string Display => Backbone == BackboneChoice.Default ? Variant.Display : $"{Variant.Display} on {Backbone.Key} states";

    /// <summary>The same cell on another seed (same learning-rate source).</summary>
    public HeadCell WithSeed(long seed) => this with { Seed = seed };
}
