using MjVideo.Data;
using MjVideo.Model;
using MjVideo.Taxonomy;
using TorchSharp;
using static TorchSharp.torch;

namespace MjVideo.Tests;

/// <summary>Helpers for the model tests: setting parameters by name, reading tensors, and the hand-set head.</summary>
static class ModelTestKit
{
    public static float[] Values(Tensor t) => t.detach().cpu().contiguous().data<float>().ToArray();

    public static float Scalar(Tensor t) => t.detach().cpu().item<float>();

    public static void AssertClose(IReadOnlyList<float> expected, IReadOnlyList<float> actual, double tolerance = 1e-5)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance,
                $"index {i}: expected {expected[i]}, got {actual[i]} (tolerance {tolerance})");
    }

    public static void AssertClose(double expected, double actual, double tolerance = 1e-5) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"expected {expected}, got {actual} (tolerance {tolerance})");

    /// <summary>Copies values into the named parameter of a module (row-major in the parameter's shape).</summary>
    public static void Set(nn.Module module, string name, params float[] values)
    {
        var parameter = module.named_parameters().SingleOrDefault(p => p.name == name).parameter
            ?? throw new ArgumentException($"no parameter '{name}' in {module.GetType().Name}; has {string.Join(", ", module.named_parameters().Select(p => p.name))}");
        Assert.Equal(parameter.numel(), values.Length);
        using var _ = no_grad();
        using var source = tensor(values).reshape(parameter.shape);
        parameter.copy_(source);
    }

    public static float[] Identity(int n) =>
        Enumerable.Range(0, n * n).Select(i => i / n == i % n ? 1f : 0f).ToArray();

    public static float[] Repeat(float value, int count) => Enumerable.Repeat(value, count).ToArray();

    public static readonly float Ln2 = MathF.Log(2), Ln3 = MathF.Log(3), Ln4 = MathF.Log(4);

    // ---- the hand-set head: H = 2, gating MLPs of 3 hidden layers of width 2 ----
    //
    // Hidden layers are identities with zero bias; each gate's last layer has zero weight, so its logits are its bias.
    // h_gate = [1, 2], h_last = [1, 0].
    // Criteria logits: aspect 0 [ln 2, 0, 0, 0, 0], every other criterion 0; lambda_crit = 0.5.
    //   w, aspect 0 = 0.5 [2, 1, 1, 1, 1] / 6 = [1/6, 1/12, 1/12, 1/12, 1/12]; aspect 1: 0.5/6; aspects 2 and 4: 0.5/5 = 0.1;
    //   aspect 3: 0.5/7.
    // Regression weight: column 0 = r (h_last picks it), column 1 = 1 (it would add 2 to every r if h_gate were used).
    //   r = [3, 6, 0, 0, -6 | 1, 2, 3, 4, 5, -3 | 2, 2, 2, 2, 2 | 7, 0, 0, 0, 0, 0, 0 | -5, 0, 0, 0, 0]
    //   s0 = 3/6 + 6/12 + 0 + 0 - 6/12 = 0.5; s1 = 0.5 (1+2+3+4+5-3)/6 = 1; s2 = 0.1 * 10 = 1; s3 = 0.5 * 7/7 = 0.5;
    //   s4 = 0.1 * -5 = -0.5.
    // Aspect logits ln [2, 1, 1, 4, 2], lambda_asp = 1: g = [2, 1, 1, 4, 2] / 10 = [0.2, 0.1, 0.1, 0.4, 0.2].
    // score = 0.2*0.5 + 0.1*1 + 0.1*1 + 0.4*0.5 + 0.2*-0.5 = 0.1 + 0.1 + 0.1 + 0.2 - 0.1 = 0.4.

    public static readonly float[] HandRewards =
        [3, 6, 0, 0, -6, 1, 2, 3, 4, 5, -3, 2, 2, 2, 2, 2, 7, 0, 0, 0, 0, 0, 0, -5, 0, 0, 0, 0];

    public static readonly float[] HandCriteriaLogits =
        [Ln2, 0, 0, 0, 0, .. new float[23]];

    public static readonly float[] HandAspectLogits = [Ln2, 0, 0, Ln4, Ln2];

    public static readonly float[] HandCriteriaWeights =
    [
        1f / 6, 1f / 12, 1f / 12, 1f / 12, 1f / 12,
        .. Repeat(0.5f / 6, 6), .. Repeat(0.1f, 5), .. Repeat(0.5f / 7, 7), .. Repeat(0.1f, 5),
    ];

    public static readonly float[] HandAspectScores = [0.5f, 1, 1, 0.5f, -0.5f];
    public static readonly float[] HandAspectWeights = [0.2f, 0.1f, 0.1f, 0.4f, 0.2f];
    public const float HandScore = 0.4f;

    public static MjVideoHeadConfig HandConfig(Routing routing) =>
        new(HiddenSize: 2, routing, GatingHiddenDim: 2, GatingHiddenLayers: 3, GatingTemperature: 1.0);

    /// <summary>The regression weight [28, 2]: column 0 = r, column 1 = 1.</summary>
    public static float[] HandRegressionWeight() => HandRewards.SelectMany(r => new[] { r, 1f }).ToArray();

    /// <summary>The hand-set head's parameters under the official names, in row-major order with their shapes.</summary>
    public static IReadOnlyList<(string Name, long[] Shape, float[] Values)> HandOfficialParameters()
    {
        var list = new List<(string, long[], float[])>
        {
            ("regression_layer.weight", [28, 2], HandRegressionWeight()),
            ("reward_transform_matrix", [28, 28], Identity(28)),
        };
        foreach (var (gate, outputs, logits, scale) in new[]
                 {
                     ("criteria_gating", 28, HandCriteriaLogits, 0.5f),
                     ("aspect_gating", 5, HandAspectLogits, 1f),
                 })
        {
            for (var layer = 0; layer < 3; layer++)
            {
                list.Add(($"{gate}.layers.{layer}.weight", [2, 2], Identity(2)));
                list.Add(($"{gate}.layers.{layer}.bias", [2], new float[2]));
            }
            list.Add(($"{gate}.layers.3.weight", [outputs, 2], new float[outputs * 2]));
            list.Add(($"{gate}.layers.3.bias", [outputs], logits));
            list.Add(($"{gate}.logit_scale", [1], [scale]));
        }
        return list;
    }

    /// <summary>An input-aware (or sparse top-k) head with the hand-set parameters.</summary>
    public static MjVideoHead HandHead(Routing? routing = null)
    {
        var head = new MjVideoHead(HandConfig(routing ?? Routing.Paper), seed: 1);
        foreach (var (name, _, values) in HandOfficialParameters()) Set(head, name, values);
        return head;
    }

    public static Tensor HandGate(int batch = 1) => tensor(Enumerable.Repeat(new float[] { 1, 2 }, batch).SelectMany(x => x).ToArray()).reshape(batch, 2);
    public static Tensor HandLast(int batch = 1) => tensor(Enumerable.Repeat(new float[] { 1, 0 }, batch).SelectMany(x => x).ToArray()).reshape(batch, 2);

    // ---- targets ----

    /// <summary>One video's targets: the listed criteria / aspects are related with the given signed score (+1 / -1);
    /// bad labels are written in <paramref name="encoding"/>.</summary>
    public static VideoTargets VideoLabels(
        IReadOnlyDictionary<int, int>? criteria = null, IReadOnlyDictionary<int, int>? aspects = null, int? overall = null,
        BadLabelEncoding encoding = BadLabelEncoding.MinusOne)
    {
        float Encode(int signed) => signed > 0 ? 1f : encoding == BadLabelEncoding.MinusOne ? -1f : 0f;
        var criteriaScore = new float[MjTaxonomy.CriterionCount];
        var criteriaRelated = new float[MjTaxonomy.CriterionCount];
        foreach (var (c, s) in criteria ?? new Dictionary<int, int>()) (criteriaScore[c], criteriaRelated[c]) = (Encode(s), 1f);
        var aspectScore = new float[MjTaxonomy.AspectCount];
        var aspectRelated = new float[MjTaxonomy.AspectCount];
        foreach (var (a, s) in aspects ?? new Dictionary<int, int>()) (aspectScore[a], aspectRelated[a]) = (Encode(s), 1f);
        return new VideoTargets(criteriaScore, criteriaRelated, aspectScore, aspectRelated,
            overall is { } o ? Encode(o) : 0f, overall is null ? 0f : 1f);
    }

    /// <summary>A pair's targets. aspectPreferences: aspect -> preferred video (0 or 1); absent aspects are masked.</summary>
    public static PairTargets Pair(VideoTargets video0, VideoTargets video1,
        IReadOnlyDictionary<int, int>? aspectPreferences = null, int? overallPreference = null)
    {
        var preference = new float[MjTaxonomy.AspectCount];
        var mask = new float[MjTaxonomy.AspectCount];
        foreach (var (a, p) in aspectPreferences ?? new Dictionary<int, int>()) (preference[a], mask[a]) = (p, 1f);
        return new PairTargets(video0, video1, preference, mask, overallPreference ?? 0, overallPreference is null ? 0f : 1f);
    }

    public static PairTargets Unlabelled() => Pair(VideoTargets.Unlabelled, VideoTargets.Unlabelled);

    /// <summary>A [B, 2, n] tensor of zeros with the listed (pair, video, index) entries set.</summary>
    public static Tensor PerVideo(int pairs, int n, params (int Pair, int Video, int Index, float Value)[] entries)
    {
        var values = new float[pairs * 2 * n];
        foreach (var (p, v, i, x) in entries) values[(p * 2 + v) * n + i] = x;
        return tensor(values).reshape(pairs, 2, n);
    }
}
