using System.Globalization;
using Microsoft.Data.Analysis;
using MjVideo.Core;
using MjVideo.Synth;
using MjVideo.Video;

namespace MjVideo.Experiments;

/// <summary>
/// A trained judge's per-criterion AUC on test next to the single-video reference (<see cref="SingleVideoReference"/>):
/// pinned detectors and a pinned pixel probe that see one video and its caption, as a judge does. The reference is what
/// is achievable from one video, not a ceiling; the issue's target is each criterion within 0.05 of it or above.
/// </summary>
public static class CriterionReference
{
    /// <summary>Where the reference of the experiments' reference family on test is kept (a subfolder of results/, which
    /// the results store does not read).</summary>
    public static string PathFor(Workbook workbook, ExperimentData data) =>
        Path.Combine(workbook.ResultsDir, "synth-reference", $"{data.SynthBenchVersion}-{workbook.Mode.ToString().ToLowerInvariant()}-test.json");

    /// <summary>The reference on the test split (the probe fitted on train), computed when missing or made from other data.</summary>
    public static async Task<ReferenceReport> EnsureAsync(Workbook workbook, ExperimentData data, IProgress<string>? progress = null,
        CancellationToken cancellation = default)
    {
        var path = PathFor(workbook, data);
        if (File.Exists(path))
        {
            var existing = ReferenceReport.Read(path);
            if (existing.ConfigHash == data.SynthBenchConfigHash && existing.EvalSplit == "test"
                && existing.DetectorVersion == SingleVideoDetectors.Version && existing.ProbeVersion == PixelProbe.Version)
                return existing;
        }
        var familyDir = Path.GetDirectoryName(data.Reference.Test.SourceFile)!;
        var decoder = new VideoDecoder(cache: ClipCache.InWorkbook(workbook));
        var report = await SingleVideoReference.RunAsync(familyDir, decoder, "train", "test", progress: progress, cancellation: cancellation)
            .ConfigureAwait(false);
        report.Write(path);
        return report;
    }

    /// <summary>The reference's AUC of a criterion: the better of its detector and the pixel probe.</summary>
    public static double ReferenceAuc(ReferenceRow row)
    {
        var detector = row.DetectorAuc is { IsDefined: true } d ? d.Value : double.NaN;
        var probe = row.ProbeAuc.IsDefined ? row.ProbeAuc.Value : double.NaN;
        return double.IsNaN(detector) ? probe : double.IsNaN(probe) ? detector : Math.Max(detector, probe);
    }

    /// <summary>A judge's mean AUC over its seeds' records for one criterion (NaN when no record has it).</summary>
    public static double JudgeAuc(ResultRow judge, string criterion)
    {
        var values = judge.Records.Select(r => r.Metrics["criteria"]?[criterion]?["auc"]?["value"]?.GetValue<double>() ?? double.NaN)
            .Where(double.IsFinite).ToList();
        return values.Count == 0 ? double.NaN : values.Average();
    }

    /// <summary>Per criterion with at least <paramref name="minBad"/> bad test videos: the judges' AUCs, the reference and
    /// whether the first judge is within 0.05 of it or above.</summary>
    public static DataFrame Table(ReferenceReport reference, IReadOnlyList<ResultRow> judges, int minBad = 20)
    {
        var rows = reference.Rows.Where(r => r.Bad >= minBad).ToList();
        var columns = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("criterion", rows.Select(r => r.Key)),
            new StringDataFrameColumn("aspect", rows.Select(r => r.Aspect)),
            new Int32DataFrameColumn("bad / videos (test)", rows.Select(r => r.Bad)),
            new StringDataFrameColumn("reference AUC (detector / probe)", rows.Select(r =>
                $"{F(ReferenceAuc(r))} ({(r.DetectorAuc is { IsDefined: true } d ? F(d.Value) : "-")} / {F(r.ProbeAuc.Value)})")),
        };
        foreach (var judge in judges)
            columns.Add(new StringDataFrameColumn($"{judge.Name} AUC (mean over seeds)", rows.Select(r => F(JudgeAuc(judge, r.Key)))));
        if (judges.Count > 0)
            columns.Add(new StringDataFrameColumn($"{judges[0].Name}: within 0.05 of the reference or above", rows.Select(r =>
            {
                var gap = JudgeAuc(judges[0], r.Key) - ReferenceAuc(r);
                return double.IsNaN(gap) ? "-" : gap >= -0.05 ? "yes" : $"no ({gap.ToString("+0.00;-0.00", CultureInfo.InvariantCulture)})";
            })));
        return new DataFrame(columns);
    }

    /// <summary>One line: how many criteria the first judge has within 0.05 of the reference or above, and its mean AUC.</summary>
    public static string Summary(ReferenceReport reference, ResultRow judge, int minBad = 20)
    {
        var rows = reference.Rows.Where(r => r.Bad >= minBad).ToList();
        var aucs = rows.Select(r => JudgeAuc(judge, r.Key)).Where(double.IsFinite).ToList();
        var within = rows.Count(r => JudgeAuc(judge, r.Key) - ReferenceAuc(r) >= -0.05);
        return string.Create(CultureInfo.InvariantCulture,
            $"{judge.Name}: {within} of {rows.Count} criteria (at least {minBad} bad test videos) within 0.05 of the single-video reference or above; " +
            $"mean AUC {(aucs.Count == 0 ? double.NaN : aucs.Average()):F3} (reference mean {rows.Average(ReferenceAuc):F3})");
    }

    static string F(double x) => double.IsFinite(x) ? x.ToString("0.00", CultureInfo.InvariantCulture) : "-";
}
