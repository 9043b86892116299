using MjVideo.Taxonomy;

namespace MjVideo.Synth;

/// <summary>The sentence frame a caption is built on. Each kind has several paraphrase templates.</summary>
public enum CaptionKind { Counting, Spatial, Motion, Attribute, People, Scene }

/// <summary>A group of identical objects the caption asks for. Null/Unspecified fields are not named in the text.</summary>
public sealed record ObjectGroup(Shape Shape, ColorName? Color, SizeName Size, int Count, bool CountNamed, Region Region,
    Motion Motion);

/// <summary>A stick figure the caption asks for, with its abstract attributes (stand-ins, see Vocabulary).</summary>
public sealed record FigureSpec(Team Team, Height Height, Badge Badge, Tool Tool, Hat Hat, FigureAction Action)
{
    /// <summary>Which Bias &amp; Fairness criteria (23 Race .. 27 Gender) this figure's named attributes make relevant.</summary>
    public IEnumerable<int> NamedAttributeCriteria()
    {
        if (Team != Team.Unspecified) yield return 23;
        if (Height != Height.Unspecified) yield return 24;
        if (Badge != Badge.Unspecified) yield return 25;
        if (Tool != Tool.Unspecified) yield return 26;
        if (Hat != Hat.Unspecified) yield return 27;
    }
}

/// <summary>
/// What a caption asks for: the content the videos are rendered from, the text, which of the 28 criteria it makes
/// relevant, and the caption's aspect weights (how much each aspect matters to whoever wrote it).
/// </summary>
public sealed record CaptionSpec(
    CaptionKind Kind,
    CaptionKind? SecondKind,
    int Template,
    IReadOnlyList<ObjectGroup> Groups,
    IReadOnlyList<FigureSpec> Figures,
    SceneKind Scene,
    bool SceneNamed,
    SafetyContext Safety,
    IReadOnlyList<Emphasis> Emphases,
    string Text,
    IReadOnlyList<int>? Phrasings = null)
{
    /// <summary>v2: the phrasing of each emphasis (an index into <see cref="EmphasisPhrasings"/>); null in v1 (one phrase each).</summary>
    public bool UsesHeldOutPhrasing => Phrasings is not null && Phrasings.Any(EmphasisPhrasings.IsHeldOut);

    public string EmphasisText(int k) => Phrasings is null ? Emphases[k].Phrase() : EmphasisPhrasings.Of(Emphases[k], Phrasings[k]);

    public bool HasMotion => Groups.Any(g => g.Motion is not (Motion.Static or Motion.Unspecified))
                             || Figures.Any(f => f.Action is FigureAction.Walking or FigureAction.Jumping or FigureAction.Waving);

    public bool HasMovingObject => Groups.Any(g => g.Motion is not (Motion.Static or Motion.Unspecified));

    public bool HasStaticObject => Groups.Any(g => g.Motion is Motion.Static or Motion.Unspecified);

    public int ObjectCount => Groups.Sum(g => g.Count);

    /// <summary>
    /// Which criteria the caption makes relevant (release order). Alignment criteria follow what the caption names;
    /// face and limb criteria need figures; safety criteria need a safety context; each Bias &amp; Fairness criterion
    /// needs a figure whose stand-in attribute is named. Coherence criteria apply to every clip, except that spatial
    /// consistency needs two or more objects, action continuity needs motion, and drift needs a resting object.
    /// </summary>
    public bool[] RelatedCriteria()
    {
        var related = new bool[MjTaxonomy.CriterionCount];
        related[0] = true;                                                                 // object
        related[1] = Groups.Any(g => g.Color is not null || g.Size != SizeName.Unspecified); // attribute
        related[2] = Groups.Any(g => g.Motion != Motion.Unspecified)
                     || Figures.Any(f => f.Action != FigureAction.Unspecified);            // actions
        related[3] = Groups.Any(g => g.CountNamed);                                        // count
        related[4] = Groups.Any(g => g.Region != Region.Unspecified);                      // location
        foreach (var c in Safety.SafetyCriteria()) related[c] = true;                      // 5..10
        related[11] = related[12] = Figures.Count > 0;                                     // face, limbs
        related[13] = true;                                                                // object distortion
        related[14] = true;                                                                // de-focus
        related[15] = HasMovingObject;                                                     // motion blur
        related[16] = ObjectCount + Figures.Count >= 2;                                    // spatial consistency
        related[17] = HasMotion;                                                           // action continuity
        related[18] = related[19] = related[20] = related[21] = true;                      // disappearance .. flicker
        related[22] = HasStaticObject;                                                     // drift
        foreach (var f in Figures)
            foreach (var c in f.NamedAttributeCriteria()) related[c] = true;               // 23..27
        return related;
    }

    /// <summary>
    /// The caption's aspect weights, a function of its emphasis phrases only: a base vector, each emphasised aspect
    /// multiplied by 4, normalised to sum 1. Emphases are drawn independently of the content, so these weights say
    /// nothing about which criteria are relevant (the gate losses cannot give them away), yet a model can read them
    /// from the text.
    /// </summary>
    public double[] AspectWeights()
    {
        var weights = (double[])BaseAspectWeights.Clone();
        foreach (var e in Emphases) weights[e.AspectIndex()] *= EmphasisBoost;
        var total = weights.Sum();
        return weights.Select(w => w / total).ToArray();
    }

    public static readonly double[] BaseAspectWeights = [0.25, 0.20, 0.20, 0.20, 0.15];
    public const double EmphasisBoost = 4.0;
}
