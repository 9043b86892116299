using System.Diagnostics;
using System.Text.Json;
using MjVideo.Experiments;
using MjVideo.Metrics;
using MjVideo.Taxonomy;
using MjVideo.Video;

namespace MjVideo.Synth;

/// <summary>One severity bin of one criterion: the bad videos whose severity falls in it against every good video.</summary>
public sealed record ReferenceBin(double SeverityLow, double SeverityHigh, int Bad, int Good, Estimate? DetectorAuc, Estimate ProbeAuc);

/// <summary>
/// One criterion of the single-video reference on the evaluation split, over the videos where the criterion is
/// related: the pinned detector's AUC (null when no detector is written for it) and the pixel probe's AUC.
/// </summary>
public sealed record ReferenceRow(int Criterion, string Key, string Aspect, string Detector, int FitVideos, int FitBad,
    int Videos, int Bad, Estimate? DetectorAuc, Estimate ProbeAuc, IReadOnlyList<ReferenceBin> Bins);

public sealed record ReferenceReport(
    string SynthBenchVersion,
    string ConfigHash,
    string DetectorVersion,
    string ProbeVersion,
    string Family,
    string FitSplit,
    string EvalSplit,
    int FitVideos,
    int EvalVideos,
    int BootstrapResamples,
    int BootstrapSeed,
    double Seconds,
    IReadOnlyList<ReferenceRow> Rows)
{
    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllBytes(path + ".tmp", JsonSerializer.SerializeToUtf8Bytes(this, SynthOracle.Json));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    public static ReferenceReport Read(string path) =>
        JsonSerializer.Deserialize<ReferenceReport>(File.ReadAllText(path), SynthOracle.Json)
        ?? throw new InvalidDataException($"{path}: empty reference report");
}

/// <summary>
/// The single-video reference (issue "Judges that learn"): how well each criterion can be detected from the one video a
/// judge sees, with its caption, and no clean render of the same scene. Two yardsticks, both pinned so they do not move
/// while the judges improve:
/// <list type="bullet">
/// <item>hand-written detectors (<see cref="SingleVideoDetectors"/>), one score per criterion, fitted to nothing;</item>
/// <item>a pixel-statistics probe (<see cref="PixelProbe"/>): fixed features and a fixed classifier, fitted on the train
/// split and scored on val.</item>
/// </list>
/// Both report the AUC per criterion (bad against good among videos where the criterion is related) and per severity
/// bin, each with a seeded percentile-bootstrap 95% interval over videos. It is a reference of what is achievable, not
/// a ceiling: a better detector would raise it.
/// </summary>
public static class SingleVideoReference
{
    public static readonly (double Low, double High)[] Bins = DefectDetectability.Bins;

    sealed record VideoRow(bool[] Related, double[] Severity, double[] DetectorScores, double[] Features);

    /// <param name="familyDir">A SynthBench family folder: <c>&lt;split&gt;.oracle.json</c> and <c>videos/&lt;split&gt;/</c>.</param>
    public static async Task<ReferenceReport> RunAsync(string familyDir, VideoDecoder decoder, string fitSplit = "train",
        string evalSplit = "val", int size = 64, int bootstrapResamples = 1000, int bootstrapSeed = 17,
        IProgress<string>? progress = null, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        var fitOracle = SynthOracle.Read(Path.Combine(familyDir, $"{fitSplit}.oracle.json"));
        var evalOracle = SynthOracle.Read(Path.Combine(familyDir, $"{evalSplit}.oracle.json"));
        if (fitOracle.Version != evalOracle.Version)
            throw new InvalidDataException($"{familyDir}: {fitSplit} is {fitOracle.Version} but {evalSplit} is {evalOracle.Version}");
        var fit = await MeasureAsync(familyDir, fitOracle, decoder, size, progress, cancellation);
        var eval = await MeasureAsync(familyDir, evalOracle, decoder, size, progress, cancellation);

        var options = new BootstrapOptions(bootstrapSeed, bootstrapResamples);
        var rows = new List<ReferenceRow>();
        for (var c = 0; c < MjTaxonomy.CriterionCount; c++)
        {
            var fitRelated = fit.Where(v => v.Related[c]).ToList();
            var evalRelated = eval.Where(v => v.Related[c]).ToList();
            var fitBad = fitRelated.Count(v => v.Severity[c] > 0);
            PixelProbe.Model? probe = fitBad > 0 && fitBad < fitRelated.Count
                ? PixelProbe.Fit(fitRelated.Select(v => v.Features).ToList(), fitRelated.Select(v => v.Severity[c] > 0).ToList())
                : null;
            var probeScores = evalRelated.Select(v => probe?.Score(v.Features) ?? 0).ToArray();
            var detectorScores = evalRelated.Select(v => v.DetectorScores[c]).ToArray();
            var covered = SingleVideoDetectors.Covers(c);

            Estimate Auc(double[] scores, Func<VideoRow, bool> include)
            {
                var units = Enumerable.Range(0, evalRelated.Count).Where(i => include(evalRelated[i])).ToArray();
                return Bootstrap.Percentile(units.Length,
                    idx => RankAuc.Of(idx.Select(i => scores[units[i]]).ToList(), idx.Select(i => evalRelated[units[i]].Severity[c] > 0).ToList()),
                    options);
            }

            var criterion = c;
            var bins = Bins.Select(bin =>
            {
                bool InBinOrGood(VideoRow v) => v.Severity[criterion] == 0 || v.Severity[criterion] > bin.Low && v.Severity[criterion] <= bin.High;
                var bad = evalRelated.Count(v => v.Severity[criterion] > bin.Low && v.Severity[criterion] <= bin.High);
                return new ReferenceBin(bin.Low, bin.High, bad, evalRelated.Count(v => v.Severity[criterion] == 0),
                    covered ? Auc(detectorScores, InBinOrGood) : null, Auc(probeScores, InBinOrGood));
            }).ToList();
            rows.Add(new ReferenceRow(c, MjTaxonomy.Criteria[c].Key, MjTaxonomy.Criteria[c].Aspect.DisplayName, SingleVideoDetectors.Describe(c),
                fitRelated.Count, fitBad, evalRelated.Count, evalRelated.Count(v => v.Severity[criterion] > 0),
                covered ? Auc(detectorScores, _ => true) : null, Auc(probeScores, _ => true), bins));
            progress?.Report($"{MjTaxonomy.Criteria[c].Key}: detector {rows[^1].DetectorAuc?.Format(1, 3, 3) ?? "-"}, probe {rows[^1].ProbeAuc.Format(1, 3, 3)}");
        }
        return new ReferenceReport(evalOracle.Version, evalOracle.ConfigHash, SingleVideoDetectors.Version, PixelProbe.Version,
            evalOracle.Family, fitSplit, evalSplit, fit.Count, eval.Count, bootstrapResamples, bootstrapSeed,
            Math.Round(clock.Elapsed.TotalSeconds, 1), rows);
    }

    /// <summary>Decodes every frame of every video of a split and measures it (in parallel; the order of the result is fixed).</summary>
    static async Task<List<VideoRow>> MeasureAsync(string familyDir, SynthOracle oracle, VideoDecoder decoder, int size,
        IProgress<string>? progress, CancellationToken cancellation)
    {
        var everyFrame = new Preprocessing(Frames: oracle.Frames, Sampling: FrameSampling.InclusiveUniform, Width: size, Height: size);
        var rows = new VideoRow[2 * oracle.Pairs.Count];
        var done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, oracle.Pairs.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellation },
            async (k, token) =>
            {
                var pair = oracle.Pairs[k];
                var caption = CaptionOf(oracle, pair);
                for (var v = 0; v < 2; v++)
                {
                    var path = Path.Combine(familyDir, "videos", oracle.Split, $"{pair.Index}_{v}.mp4");
                    var clip = await decoder.DecodeAsync(path, everyFrame, token);
                    var measured = new ClipMeasurements(clip.Frames, clip.FrameCount, size);
                    var scores = Enumerable.Range(0, MjTaxonomy.CriterionCount)
                        .Select(c => pair.Related[c] ? SingleVideoDetectors.Score(c, measured, caption) : double.NaN).ToArray();
                    rows[2 * k + v] = new VideoRow(pair.Related, pair.Video(v).CriterionSeverity, scores, PixelProbe.Features(measured));
                }
                if (Interlocked.Increment(ref done) % 100 == 0) progress?.Report($"{oracle.Split}: {done}/{oracle.Pairs.Count} pairs measured");
            });
        return rows.ToList();
    }

    /// <summary>
    /// The caption's structured form: what the caption text says, as the generator wrote it (regenerated from the pair's
    /// seed stream, and checked against the text so that it can never carry more than the text).
    /// </summary>
    public static CaptionSpec CaptionOf(SynthOracle oracle, OraclePair pair)
    {
        var caption = SynthBenchGenerator.SampleCaption(oracle.Version, oracle.Seed, oracle.Split, pair.Index);
        if (caption.Text != pair.Caption)
            throw new InvalidDataException($"{oracle.Split} pair {pair.Index}: the regenerated caption '{caption.Text}' differs from the oracle's '{pair.Caption}'");
        return caption;
    }
}
