using MjVideo.Metrics;
using MjVideo.Synth;
using MjVideo.Tuning;
using Xunit.Abstractions;

namespace MjVideo.Tests;

/// <summary>The oracle's agreement with SynthBench's labels: counted per check over clean and defective videos, and
/// measured on the first SynthBench pairs.</summary>
public class TuningOracleValidationTests(ITestOutputHelper output)
{
    /// <summary>A verdict with every check passing except the given ones; <paramref name="unasked"/> checks are null.</summary>
    static OracleVerdict Verdict(OracleCheck[] failing, params OracleCheck[] unasked) => new(
        Enum.GetValues<OracleCheck>().ToDictionary(c => c, c => unasked.Contains(c) ? (bool?)null : !failing.Contains(c)), 0.8, 0, 0, 1);

    static IReadOnlySet<int> Defects(params int[] criteria) => criteria.ToHashSet();

    [Fact]
    public void Agreement_counts_passes_on_clean_videos_and_fails_on_videos_with_the_checks_own_defects()
    {
        var judged = new List<(OracleVerdict, IReadOnlySet<int>)>
        {
            (Verdict([], OracleCheck.Colour), Defects()),                                        // clean, everything passes
            (Verdict([OracleCheck.Sharpness]), Defects()),                                      // clean, sharpness wrongly fails
            (Verdict([OracleCheck.Sharpness]), Defects(14)),                                    // de-focused, caught
            (Verdict([OracleCheck.Count]), Defects(14, 3)),                                     // de-focused (missed), wrong count (caught)
            (Verdict([OracleCheck.Flicker], OracleCheck.Count), Defects(21)),                   // flickering, caught; no count asked
        };
        var rows = OracleValidation.Agreements(judged).ToDictionary(a => a.Check);

        // Sharpness: clean videos 1 and 2, one passes; de-focused videos 3 and 4, one fails.
        Assert.Equal(Intervals.Wilson(1, 2), rows[OracleCheck.Sharpness].PassesWhenClean);
        Assert.Equal(Intervals.Wilson(1, 2), rows[OracleCheck.Sharpness].FailsWhenDefective);
        // Count: asked of videos 1 to 4; both clean ones pass, the one with a count defect fails.
        Assert.Equal((1.0, 2), (rows[OracleCheck.Count].PassesWhenClean.Value, rows[OracleCheck.Count].PassesWhenClean.N));
        Assert.Equal((1.0, 1), (rows[OracleCheck.Count].FailsWhenDefective.Value, rows[OracleCheck.Count].FailsWhenDefective.N));
        // Flicker stands for lighting (20) and flickering (21): video 5 only.
        Assert.Equal((1.0, 1), (rows[OracleCheck.Flicker].FailsWhenDefective.Value, rows[OracleCheck.Flicker].FailsWhenDefective.N));
        // Colour is not asked of clean video 1, so only video 2 counts; no video has an attribute defect.
        Assert.Equal((1.0, 1), (rows[OracleCheck.Colour].PassesWhenClean.Value, rows[OracleCheck.Colour].PassesWhenClean.N));
        Assert.Equal(0, rows[OracleCheck.Colour].FailsWhenDefective.N);
        Assert.False(rows[OracleCheck.Colour].FailsWhenDefective.IsDefined);
        Assert.Equal("flicker", OracleValidation.Table(new OracleValidationResult(5, 5, OracleValidation.Agreements(judged)))
            .Columns["check"][6]);
    }

    [Fact]
    public void Every_check_stands_for_criteria_of_its_own_aspect()
    {
        // Alignment checks stand for Alignment criteria (aspect 0), quality checks for Fineness (2) or Coherence (3).
        foreach (var check in OracleVerdict.AlignmentChecks)
            Assert.All(OracleValidation.Criteria[check], c => Assert.Equal(0, MjVideo.Taxonomy.MjTaxonomy.Criteria[c].AspectIndex));
        foreach (var check in OracleVerdict.QualityChecks)
            Assert.All(OracleValidation.Criteria[check], c => Assert.Contains(MjVideo.Taxonomy.MjTaxonomy.Criteria[c].AspectIndex, new[] { 2, 3 }));
        Assert.Equal(Enum.GetValues<OracleCheck>().Length, OracleValidation.Criteria.Count);
    }

    [Fact]
    public void On_SynthBench_the_quality_checks_pass_clean_videos_and_sharpness_catches_defocus()
    {
        var result = OracleValidation.Run(SynthBenchDefaults.Seed, pairs: 80);
        output.WriteLine($"{result.Videos} videos of {result.Pairs} pairs");
        foreach (var a in result.Checks)
            output.WriteLine($"{a.Check}: clean {a.PassesWhenClean.Format(decimals: 1)}; defective {a.FailsWhenDefective.Format(decimals: 1)}");

        Assert.True(result.Videos is > 0 and <= 160 && result.Videos % 2 == 0, $"{result.Videos} videos");
        foreach (var a in result.Checks) Assert.True(a.PassesWhenClean.N <= result.Videos && a.FailsWhenDefective.N <= result.Videos);
        // Quality checks apply to every video, so they all see the same clean videos.
        Assert.Single(OracleVerdict.QualityChecks.Select(c => result.For(c).PassesWhenClean.N).Distinct());
        foreach (var check in OracleVerdict.QualityChecks)
            Assert.True(result.For(check).PassesWhenClean.Value >= 0.9, $"{check}: {result.For(check).PassesWhenClean.Format()}");
        // Measured: 12 of the 18 de-focused videos fail the sharpness check (the mildest blurs stay above the threshold).
        var defocus = result.For(OracleCheck.Sharpness).FailsWhenDefective;
        Assert.True(defocus.N >= 10 && defocus.Value >= 0.5, $"de-focused videos failing sharpness: {defocus.Format()}");
    }
}
