using Microsoft.Data.Analysis;
using MjVideo.Metrics;
using MjVideo.Synth;

namespace MjVideo.Tuning;

/// <summary>How often one oracle check agrees with SynthBench: on videos without the check's defects (it should pass) and
/// on videos with one of them (it should fail).</summary>
public sealed record OracleAgreement(OracleCheck Check, string Defects, Estimate PassesWhenClean, Estimate FailsWhenDefective);

/// <summary>
/// Measures the oracle against SynthBench's own labels before it is trusted with the generator's clips: every video of the
/// first pairs of a split whose caption the generator draws is rendered by SynthBench's renderer and judged. "Clean" means
/// the video has no defect at all (any defect can disturb any measurement: a vanished object changes a count); "defective"
/// means it has a defect of one of the criteria the check stands for.
/// </summary>
public static class OracleValidation
{
    /// <summary>The SynthBench criteria (release indices) each check stands for.</summary>
    public static readonly IReadOnlyDictionary<OracleCheck, int[]> Criteria = new Dictionary<OracleCheck, int[]>
    {
        [OracleCheck.Object] = [0],          // object
        [OracleCheck.Colour] = [1],          // attribute (a recolouring or a resizing)
        [OracleCheck.Count] = [3],           // count
        [OracleCheck.Location] = [4],        // location
        [OracleCheck.Motion] = [2],          // actions
        [OracleCheck.Sharpness] = [14],      // de-focused
        [OracleCheck.Flicker] = [20, 21],    // lighting, flickering
        [OracleCheck.Drift] = [16, 17, 22],  // spatial consistency, action continuity, drift
    };

    public static IReadOnlyList<OracleAgreement> Run(long seed, int pairs, int size = 64)
    {
        var config = new SynthConfig("train", pairs, seed, Size: size);
        config.Validate();
        var annotators = PreferenceRules.AnnotatorWeights(seed);
        var oracle = new TuningOracle(size);
        var renderer = new Renderer(size);
        var frameTimes = GeneratorLayout.FrameTimes(MjVideo.Video.Preprocessing.Default);
        var judged = new List<(OracleVerdict Verdict, HashSet<int> Defects)>();
        for (var i = 0; i < pairs; i++)
        {
            var pair = SynthBenchGenerator.GeneratePair(config, i, annotators);
            if (!TuningCaptions.IsDrawable(pair.Caption)) continue;
            foreach (var video in new[] { pair.Video0, pair.Video1 })
            {
                var frames = renderer.Render(video.Scene);
                judged.Add((oracle.Judge(frameTimes.Select(t => frames[t]).ToArray(), pair.Caption, frameTimes),
                    video.Defects.Select(d => d.Criterion).ToHashSet()));
            }
        }
        return Enum.GetValues<OracleCheck>().Select(check =>
        {
            var criteria = Criteria[check];
            var applicable = judged.Where(j => j.Verdict.Checks[check] is not null).ToList();
            var clean = applicable.Where(j => j.Defects.Count == 0).ToList();
            var defective = applicable.Where(j => criteria.Any(j.Defects.Contains)).ToList();
            return new OracleAgreement(check, string.Join(", ", criteria.Select(c => MjVideo.Taxonomy.MjTaxonomy.Criteria[c].Key)),
                Intervals.Wilson(clean.Count(j => j.Verdict.Checks[check] == true), clean.Count),
                Intervals.Wilson(defective.Count(j => j.Verdict.Checks[check] == false), defective.Count));
        }).ToList();
    }

    public static DataFrame Table(IReadOnlyList<OracleAgreement> rows) => new(
        new StringDataFrameColumn("check", rows.Select(r => r.Check.ToString().ToLowerInvariant())),
        new StringDataFrameColumn("SynthBench defects", rows.Select(r => r.Defects)),
        new StringDataFrameColumn("passes clean videos %", rows.Select(r => r.PassesWhenClean.FormatValue(decimals: 1))),
        new Int32DataFrameColumn("n clean", rows.Select(r => r.PassesWhenClean.N)),
        new StringDataFrameColumn("fails defective videos %", rows.Select(r => r.FailsWhenDefective.FormatValue(decimals: 1))),
        new Int32DataFrameColumn("n defective", rows.Select(r => r.FailsWhenDefective.N)));
}
