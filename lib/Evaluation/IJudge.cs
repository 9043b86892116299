using MjVideo.Data;

namespace MjVideo.Evaluation;

/// <summary>
/// What a judge says about one video: an overall score (higher is better; equal scores are a predicted tie), and where
/// the judge produces them, per-aspect scores (5, aspect index order) and per-criterion scores (28, release order).
/// The paper's sign rule reads a score &gt; 0 as "good"; judges whose scale is not centred on 0 say so through
/// <see cref="IJudge.GoodAbove"/>.
/// </summary>
public sealed record JudgedVideo(double Score, double[]? AspectScores = null, double[]? CriterionScores = null);

/// <summary>A judge's verdict on a pair: both videos' scores.</summary>
public sealed record JudgedPair(JudgedVideo Video0, JudgedVideo Video1)
{
    public JudgedVideo Of(int video) => video == 0 ? Video0 : Video1;
}

/// <summary>The pairs to judge and how to find their files.</summary>
public sealed record JudgeInput(PreferenceDataset Dataset)
{
    public IReadOnlyList<PreferencePair> Pairs => Dataset.Pairs;
    public string VideoPath(PreferencePair pair, int video) => Dataset.ResolveVideo(pair, video);
}

/// <summary>Whether a judge can run here, and if not, the reason tables print in its row.</summary>
public sealed record JudgeAvailability(bool Available, string Reason = "")
{
    public static JudgeAvailability Yes { get; } = new(true);
    public static JudgeAvailability No(string reason) => new(false, reason);
}

/// <summary>
/// One entry of the evaluator's list of judges (never a script per judge, DESIGN 4). Judges that score videos
/// independently (training-free measures, VLM raters) and judges that look at both videos (trained reward models)
/// share this interface.
/// </summary>
public interface IJudge
{
    /// <summary>The row name in tables (e.g. "MJ-Video (input-aware)", "VBench-like: motion smoothness").</summary>
    string Name { get; }

    /// <summary>Everything that defines the judge (model, checkpoint, preprocessing, seed), printed beside results.</summary>
    IReadOnlyDictionary<string, string> Config { get; }

    /// <summary>The score above which a video counts as "good" for the aspect/GenAI-Bench rules (0: the sign rule).</summary>
    double GoodAbove => 0;

    JudgeAvailability Availability();

    /// <summary>Scores every pair of the input, in order.</summary>
    Task<IReadOnlyList<JudgedPair>> JudgeAsync(JudgeInput input, IProgress<int>? progress = null, CancellationToken cancellation = default);
}
