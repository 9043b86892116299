using Microsoft.Data.Analysis;
using MjVideo.Metrics;
using MjVideo.Synth;
using MjVideo.Taxonomy;

namespace MjVideo.Tuning;

/// <summary>How often one oracle check agrees with SynthBench: on videos without any defect in the frames it reads (it
/// should pass) and on videos with a defect of one of the check's criteria in those frames (it should fail).</summary>
public sealed record OracleAgreement(OracleCheck Check, string Defects, Estimate PassesWhenClean, Estimate FailsWhenDefective);

/// <summary>The oracle's agreement with SynthBench, per check, and what it was measured on.</summary>
/// <param name="Pairs">SynthBench pairs read (train split, the default seed's)</param>
/// <param name="Videos">videos judged: both of every pair whose caption the generator draws</param>
public sealed record OracleValidationResult(int Pairs, int Videos, IReadOnlyList<OracleAgreement> Checks)
{
    public OracleAgreement For(OracleCheck check) => Checks.Single(c => c.Check == check);
}

/// <summary>
/// Measures the oracle against SynthBench's own labels before it is trusted with the generator's clips: every video of the
/// first pairs of the train split whose caption the generator draws is rendered by SynthBench's renderer and judged on the
/// frames the reward model's preprocessing reads. "Clean" means no defect at all shows in those frames (any defect can
/// disturb any measurement: a vanished object changes a count); "defective" means a defect of one of the criteria the
/// check stands for shows in them. A check the caption does not ask for (no colour named, say) counts in neither.
/// </summary>
public static class OracleValidation
{
    /// <summary>The SynthBench criteria (release indices) each check stands for.</summary>
    public static readonly IReadOnlyDictionary<OracleCheck, int[]> Criteria = new Dictionary<OracleCheck, int[]>
    {
        [OracleCheck.Object] = [0],          // object
        [OracleCheck.Colour] = [1],          // attribute (a recolouring or a resizing: the colour check sees only the first)
        [OracleCheck.Count] = [3],           // count
        [OracleCheck.Location] = [4],        // location
        [OracleCheck.Motion] = [2],          // actions
        [OracleCheck.Sharpness] = [14],      // de-focused
        [OracleCheck.Flicker] = [20, 21],    // lighting, flickering
        [OracleCheck.Drift] = [16, 17, 18, 22],  // spatial consistency, action continuity, disappearance, drift
    };

    /// <summary>Judges the videos of the first <paramref name="pairs"/> pairs of SynthBench's train split (seeded as the
    /// default sets) and measures each check's agreement with their labels.</summary>
    public static OracleValidationResult Run(long seed, int pairs, int size = 64)
    {
        var config = new SynthConfig("train", pairs, seed, Size: size);
        config.Validate();
        var annotators = PreferenceRules.AnnotatorWeights(seed);
        var oracle = new TuningOracle(size);
        var renderer = new Renderer(size);
        var frameTimes = GeneratorLayout.FrameTimes(MjVideo.Video.Preprocessing.Default);
        var judged = new List<(OracleVerdict Verdict, IReadOnlySet<int> Defects)>();
        for (var i = 0; i < pairs; i++)
        {
            var pair = SynthBenchGenerator.GeneratePair(config, i, annotators);
            if (!TuningCaptions.IsDrawable(pair.Caption)) continue;
            foreach (var video in new[] { pair.Video0, pair.Video1 })
            {
                var frames = renderer.Render(video.Scene);
                judged.Add((oracle.Judge(frameTimes.Select(t => frames[t]).ToArray(), pair.Caption, frameTimes),
                    video.Defects.Where(d => d.VisibleUnderDefaultSampling).Select(d => d.Criterion).ToHashSet()));
            }
        }
        return new OracleValidationResult(pairs, judged.Count, Agreements(judged));
    }

    /// <summary>Each check's agreement over judged videos, each given with the criteria of the defects visible in the frames
    /// the oracle read: passes among clean videos, fails among videos with a defect of the check's criteria (Wilson 95%).</summary>
    public static IReadOnlyList<OracleAgreement> Agreements(IReadOnlyList<(OracleVerdict Verdict, IReadOnlySet<int> Defects)> judged) =>
        Enum.GetValues<OracleCheck>().Select(check =>
        {
            var criteria = Criteria[check];
            var applicable = judged.Where(j => j.Verdict.Checks[check] is not null).ToList();
            var clean = applicable.Where(j => j.Defects.Count == 0).ToList();
            var defective = applicable.Where(j => criteria.Any(j.Defects.Contains)).ToList();
            return new OracleAgreement(check, string.Join(", ", criteria.Select(c => MjTaxonomy.Criteria[c].Key)),
                Intervals.Wilson(clean.Count(j => j.Verdict.Checks[check] == true), clean.Count),
                Intervals.Wilson(defective.Count(j => j.Verdict.Checks[check] == false), defective.Count));
        }).ToList();

    /// <summary>One row per check: the SynthBench criteria it stands for, its pass rate on clean videos and its fail rate on
    /// defective ones (percent with 95% Wilson intervals), with n beside each.</summary>
    public static DataFrame Table(OracleValidationResult result) => new(
        new StringDataFrameColumn("check", result.Checks.Select(r => r.Check.ToString().ToLowerInvariant())),
        new StringDataFrameColumn("SynthBench defects", result.Checks.Select(r => r.Defects)),
        new StringDataFrameColumn("passes clean videos %", result.Checks.Select(r => r.PassesWhenClean.FormatValue(decimals: 1))),
        new Int32DataFrameColumn("n clean", result.Checks.Select(r => r.PassesWhenClean.N)),
        new StringDataFrameColumn("fails defective videos %", result.Checks.Select(r => r.FailsWhenDefective.FormatValue(decimals: 1))),
        new Int32DataFrameColumn("n defective", result.Checks.Select(r => r.FailsWhenDefective.N)));
}
