using System.Text;

namespace MjVideo.Synth;

/// <summary>
/// Samples what a caption asks for and writes it in words. Every kind has four paraphrase templates; the last one of
/// each kind and a few colour-shape combinations are held out of train and val and appear only in test, so the test
/// split measures some generalisation to new wording and new combinations.
/// </summary>
public static class CaptionGenerator
{
    public const int TemplatesPerKind = 4;
    public const int HeldOutTemplate = 3;

    /// <summary>Colour-shape combinations that never appear in train or val.</summary>
    public static readonly IReadOnlyList<(ColorName Color, Shape Shape)> HeldOutCombinations =
    [
        (ColorName.Purple, Shape.Star), (ColorName.Orange, Shape.Ring), (ColorName.Green, Shape.Triangle),
        (ColorName.White, Shape.Diamond), (ColorName.Blue, Shape.Circle),
    ];

    public const double SafetyContextRate = 0.42;
    public const double MixedKindRate = 0.35;
    public const double ColorNamedRate = 0.85;

    public static CaptionSpec Sample(SynthRandom rng, bool isTestSplit)
    {
        var kind = (CaptionKind)rng.NextInt(Enum.GetValues<CaptionKind>().Length);
        CaptionKind? second = null;
        if (rng.Chance(MixedKindRate))
        {
            var other = (CaptionKind)rng.NextInt(Enum.GetValues<CaptionKind>().Length - 1);
            second = other >= kind ? other + 1 : other;
        }
        bool Has(CaptionKind k) => kind == k || second == k;

        var template = isTestSplit ? rng.NextInt(TemplatesPerKind) : rng.NextInt(HeldOutTemplate);
        var safety = rng.Chance(SafetyContextRate) ? (SafetyContext)rng.NextInt(1, 6) : SafetyContext.None;
        var scene = safety != SafetyContext.None ? safety.Scene() : (SceneKind)rng.NextInt(6);
        var sceneNamed = Has(CaptionKind.Scene) || rng.Chance(0.3);

        var groups = new List<ObjectGroup>();
        var first = SampleGroup(rng, isTestSplit,
            countNamed: Has(CaptionKind.Counting),
            motion: Has(CaptionKind.Motion) && !Has(CaptionKind.People) ? SampleMotion(rng) : Motion.Unspecified,
            attribute: Has(CaptionKind.Attribute));
        if (Has(CaptionKind.Spatial))
        {
            // Either one placed group, or two groups in a left/right or above/below relation.
            if (rng.Chance(0.5))
                first = first with { Region = (Region)rng.NextInt(1, 6), Motion = Motion.Unspecified };
            else
            {
                var (a, b) = rng.Chance(0.5) ? (Region.Left, Region.Right) : (Region.Top, Region.Bottom);
                first = first with { Region = a, Motion = Motion.Unspecified };
                var partner = SampleGroup(rng, isTestSplit, countNamed: false, motion: Motion.Unspecified, attribute: false);
                groups.Add(first);
                groups.Add(partner with { Region = b });
            }
        }
        if (groups.Count == 0) groups.Add(first);
        if (!Has(CaptionKind.Spatial) && rng.Chance(0.25))
            groups.Add(SampleGroup(rng, isTestSplit, countNamed: false, motion: Motion.Unspecified, attribute: false));

        var figures = new List<FigureSpec>();
        if (Has(CaptionKind.People))
        {
            figures.Add(SampleFigure(rng, Has(CaptionKind.Motion)));
            if (rng.Chance(0.25)) figures.Add(SampleFigure(rng, Has(CaptionKind.Motion)));
        }

        var emphases = new List<Emphasis>();
        var emphasisCount = rng.NextDouble() switch { < 0.35 => 0, < 0.80 => 1, _ => 2 };
        while (emphases.Count < emphasisCount)
        {
            var e = (Emphasis)rng.NextInt(5);
            if (!emphases.Contains(e)) emphases.Add(e);
        }

        var spec = new CaptionSpec(kind, second, template, groups, figures, scene, sceneNamed, safety, emphases, "");
        return spec with { Text = Write(spec) };
    }

    static Motion SampleMotion(SynthRandom rng) => rng.Chance(0.15) ? Motion.Static : (Motion)rng.NextInt(2, 6);

    static ObjectGroup SampleGroup(SynthRandom rng, bool isTestSplit, bool countNamed, Motion motion, bool attribute)
    {
        while (true)
        {
            var shape = (Shape)rng.NextInt(Vocabulary.Shapes.Count);
            var color = (ColorName)rng.NextInt(Vocabulary.Colors.Count);
            // Train and val never see a held-out combination; test draws freely, so it holds both kinds.
            if (!isTestSplit && HeldOutCombinations.Contains((color, shape))) continue;
            var count = countNamed ? rng.NextInt(1, 5) : 1;
            var size = attribute || rng.Chance(0.2) ? (rng.Chance(0.5) ? SizeName.Small : SizeName.Large) : SizeName.Unspecified;
            // Large objects come one or two at a time so that a counted group always fits the frame.
            if (size == SizeName.Large && count > 2) count = 2;
            var colorNamed = attribute || rng.Chance(ColorNamedRate);
            return new ObjectGroup(shape, colorNamed ? color : null, size, count, countNamed, Region.Unspecified, motion);
        }
    }

    static FigureSpec SampleFigure(SynthRandom rng, bool moving)
    {
        // Each attribute is named with probability one half, at least one of them always.
        while (true)
        {
            var team = rng.Chance(0.5) ? (Team)rng.NextInt(1, 4) : Team.Unspecified;
            var height = rng.Chance(0.5) ? (Height)rng.NextInt(1, 3) : Height.Unspecified;
            var badge = rng.Chance(0.5) ? (Badge)rng.NextInt(1, 3) : Badge.Unspecified;
            var tool = rng.Chance(0.5) ? (Tool)rng.NextInt(1, 4) : Tool.Unspecified;
            var hat = rng.Chance(0.5) ? (Hat)rng.NextInt(1, 3) : Hat.Unspecified;
            var action = moving || rng.Chance(0.5) ? (FigureAction)rng.NextInt(1, 5) : FigureAction.Unspecified;
            var figure = new FigureSpec(team, height, badge, tool, hat, action);
            if (figure.NamedAttributeCriteria().Any()) return figure;
        }
    }

    // ---- words ----------------------------------------------------------------------------------------------

    static string ObjectPhrase(ObjectGroup g)
    {
        var words = new List<string>();
        if (g.Size != SizeName.Unspecified) words.Add(g.Size == SizeName.Small ? "small" : "large");
        if (g.Color is { } c) words.Add(c.Word());
        words.Add(g.Count > 1 ? g.Shape.Plural() : g.Shape.Word());
        var determiner = g.CountNamed ? Vocabulary.NumberWord(g.Count) : "aeiou".Contains(words[0][0]) ? "an" : "a";
        return determiner + " " + string.Join(' ', words);
    }

    static string FigurePhrase(FigureSpec f)
    {
        var builder = new StringBuilder("a ");
        if (f.Height != Height.Unspecified) builder.Append(f.Height.Word()).Append(' ');
        builder.Append("figure");
        if (f.Team != Team.Unspecified) builder.Append(" from the ").Append(f.Team.Word()).Append(" team");
        var extras = new List<string>();
        if (f.Hat != Hat.Unspecified) extras.Add("wearing " + f.Hat.Word());
        if (f.Badge != Badge.Unspecified) extras.Add("with " + f.Badge.Word());
        if (f.Tool != Tool.Unspecified) extras.Add("holding " + f.Tool.Word());
        if (extras.Count > 0) builder.Append(' ').Append(string.Join(", ", extras));
        if (f.Action != FigureAction.Unspecified) builder.Append(", ").Append(f.Action.Word());
        return builder.ToString();
    }

    static string Placement(ObjectGroup g) => (g.Region, g.Motion) switch
    {
        (not Region.Unspecified, _) => " " + g.Region.Word(),
        (_, not Motion.Unspecified) => " " + g.Motion.Word(),
        _ => "",
    };

    static string Setting(CaptionSpec s)
    {
        if (s.Safety != SafetyContext.None) return s.Safety.Word();
        // A Scene caption names its scene in the template itself.
        return s.SceneNamed && s.Kind != CaptionKind.Scene ? $"against a {s.Scene.Word()}" : "";
    }

    /// <summary>The caption text: the primary kind's template, then clauses for everything else, then emphases.</summary>
    public static string Write(CaptionSpec s)
    {
        var main = s.Groups[0];
        var obj = ObjectPhrase(main) + Placement(main);
        var setting = Setting(s);
        var figure = s.Figures.Count > 0 ? FigurePhrase(s.Figures[0]) : "";
        string sentence = (s.Kind, s.Template) switch
        {
            (CaptionKind.Counting, 0) => $"{obj} {setting}",
            (CaptionKind.Counting, 1) => $"a scene with exactly {obj} {setting}",
            (CaptionKind.Counting, 2) => $"there are {obj} {setting}",
            (CaptionKind.Counting, _) => $"{obj}, no more and no fewer, {setting}",
            (CaptionKind.Spatial, 0) => $"{obj} {setting}",
            (CaptionKind.Spatial, 1) => $"a frame that shows {obj} {setting}",
            (CaptionKind.Spatial, 2) => $"{setting}, {obj}",
            (CaptionKind.Spatial, _) => $"look closely: {obj} {setting}",
            (CaptionKind.Motion, 0) => $"{obj} {setting}",
            (CaptionKind.Motion, 1) => $"a video of {obj} {setting}",
            (CaptionKind.Motion, 2) => $"{setting}, {obj}",
            (CaptionKind.Motion, _) => $"watch {obj} {setting}",
            (CaptionKind.Attribute, 0) => $"{obj} {setting}",
            (CaptionKind.Attribute, 1) => $"a clip featuring {obj} {setting}",
            (CaptionKind.Attribute, 2) => $"{setting}: {obj}",
            (CaptionKind.Attribute, _) => $"just {obj} {setting}",
            (CaptionKind.People, 0) => $"{figure} next to {obj} {setting}",
            (CaptionKind.People, 1) => $"a scene with {figure}, close to {obj} {setting}",
            (CaptionKind.People, 2) => $"{setting}, {figure} beside {obj}",
            (CaptionKind.People, _) => $"meet {figure}, with {obj} close by, {setting}",
            (CaptionKind.Scene, 0) => $"a {s.Scene.Word()} scene with {obj} {setting}",
            (CaptionKind.Scene, 1) => $"a wide view of a {s.Scene.Word()} holding {obj} {setting}",
            (CaptionKind.Scene, 2) => $"{obj} in a {s.Scene.Word()} {setting}",
            (CaptionKind.Scene, _) => $"the {s.Scene.Word()} at rest, {obj} {setting}",
            _ => throw new ArgumentOutOfRangeException(nameof(s)),
        };
        var clauses = new List<string> { sentence };
        foreach (var g in s.Groups.Skip(1))
            clauses.Add((g.Region is Region.Right or Region.Bottom && main.Region != Region.Unspecified ? "and " : "and also ")
                        + ObjectPhrase(g) + Placement(g));
        // A People caption already named its first figure; any other figure, or a figure in a mixed caption, follows.
        foreach (var f in s.Figures.Skip(s.Kind == CaptionKind.People ? 1 : 0)) clauses.Add("with " + FigurePhrase(f));
        for (var k = 0; k < s.Emphases.Count; k++) clauses.Add(s.EmphasisText(k));
        var text = string.Join(", ", clauses.Select(c => string.Join(' ', c.Split(' ', StringSplitOptions.RemoveEmptyEntries))));
        // A template that leads with the setting has nothing before its colon or comma when there is no setting.
        text = text.Replace(" ,", ",").Replace(",,", ",").Replace(" :", ":").Trim(' ', ',', ':');
        return char.ToUpperInvariant(text[0]) + text[1..] + ".";
    }
}
