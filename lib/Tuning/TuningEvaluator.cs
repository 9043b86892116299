using MjVideo.Metrics;
using MjVideo.Synth;
using static TorchSharp.torch;

namespace MjVideo.Tuning;

/// <summary>One evaluated clip: which caption and draw, the oracle's verdict, the reward's standardised score of it (the
/// proxy), the KL of its scene distribution from the base model's, and its RMS pixel distance from the base model's clip
/// for the same caption and noise.</summary>
public sealed record ClipRecord(int Caption, int Draw, OracleVerdict Verdict, double Proxy, double Kl, double PixelDistance);

/// <summary>All evaluated clips of one model at one tuning step, with their summaries (n and 95% intervals).</summary>
public sealed record EvaluationPoint(int Step, IReadOnlyList<ClipRecord> Clips)
{
    public const int BootstrapSeed = 20261125;
    static BootstrapOptions Bootstrapping => new(BootstrapSeed, Resamples: 1000);

    public int N => Clips.Count;

    /// <summary>Share of clips passing every alignment check their caption asks for (Wilson interval).</summary>
    public Estimate Alignment => Intervals.Wilson(Clips.Count(c => c.Verdict.Aligned), N);

    /// <summary>Share of clips passing every quality check (Wilson interval).</summary>
    public Estimate Quality => Intervals.Wilson(Clips.Count(c => c.Verdict.GoodQuality), N);

    /// <summary>Share passing one check among the clips whose caption asks for it (Wilson interval).</summary>
    public Estimate Check(OracleCheck check)
    {
        var applicable = Clips.Where(c => c.Verdict.Checks[check] is not null).ToList();
        return Intervals.Wilson(applicable.Count(c => c.Verdict.Checks[check] == true), applicable.Count);
    }

    /// <summary>Mean oracle score (the mean of aligned and good quality per clip), bootstrapped.</summary>
    public Estimate OracleScore => Bootstrap.Mean(Clips.Select(c => c.Verdict.Score).ToArray(), Bootstrapping);

    public Estimate Proxy => Bootstrap.Mean(Clips.Select(c => c.Proxy).ToArray(), Bootstrapping);
    public Estimate Kl => Bootstrap.Mean(Clips.Select(c => c.Kl).ToArray(), Bootstrapping);
    public Estimate PixelDistance => Bootstrap.Mean(Clips.Select(c => c.PixelDistance).ToArray(), Bootstrapping);

    /// <summary>The paired difference of mean oracle scores, this point minus another on the same clips (bootstrap).</summary>
    public Estimate OracleScoreMinus(EvaluationPoint other) => PairedDifference(other, c => c.Verdict.Score);

    public Estimate AlignmentMinus(EvaluationPoint other) => PairedDifference(other, c => c.Verdict.Aligned ? 1 : 0);

    public Estimate QualityMinus(EvaluationPoint other) => PairedDifference(other, c => c.Verdict.GoodQuality ? 1 : 0);

    Estimate PairedDifference(EvaluationPoint other, Func<ClipRecord, double> value)
    {
        if (other.N != N || other.Clips.Zip(Clips).Any(p => p.First.Caption != p.Second.Caption || p.First.Draw != p.Second.Draw))
            throw new ArgumentException("paired differences need the same clips (captions and draws) in both evaluations");
        return Bootstrap.PairedMeanDifference(Clips.Select(value).ToArray(), other.Clips.Select(value).ToArray(), Bootstrapping);
    }
}

/// <summary>
/// The held-out evaluation: a fixed set of captions (SynthBench test-split captions the generator draws, with their held-out
/// templates and colour-shape combinations), a fixed number of draws per caption and fixed noise, so that every model at
/// every step is judged on the same (caption, noise) clips and differences are paired. The base model's clips are rendered
/// once and kept for the pixel distances.
/// </summary>
public sealed class TuningEvaluator : IDisposable
{
    readonly Tensor features;
    readonly GeneratorNoise noise;
    readonly string[] captionTexts;
    readonly int[] captionOf;
    readonly int[] drawOf;
    readonly byte[][][] baseFrames;
    readonly SoftRenderer renderer;
    readonly TuningOracle oracle;
    readonly int[] frameTimes;
    readonly Dictionary<int, OracleVerdict> baseVerdicts = [];

    /// <summary>Clips rendered per forward pass.</summary>
    public const int Chunk = 32;

    public TuningEvaluator(IReadOnlyList<CaptionSpec> captions, int drawsPerCaption, long noiseSeed, SceneGenerator baseModel,
        SoftRenderer renderer, int[] frameTimes)
    {
        if (captions.Count == 0) throw new ArgumentException("the evaluation needs at least one caption");
        if (drawsPerCaption < 1) throw new ArgumentOutOfRangeException(nameof(drawsPerCaption), drawsPerCaption, "must be at least 1");
        Captions = captions;
        this.renderer = renderer;
        this.frameTimes = frameTimes;
        oracle = new TuningOracle(renderer.Size);
        var n = captions.Count * drawsPerCaption;
        captionOf = Enumerable.Range(0, n).Select(i => i / drawsPerCaption).ToArray();
        drawOf = Enumerable.Range(0, n).Select(i => i % drawsPerCaption).ToArray();
        captionTexts = captionOf.Select(c => captions[c].Text).ToArray();
        features = GeneratorPretraining.FeaturesOf(captionOf.Select(c => captions[c]).ToList());
        noise = GeneratorNoise.Draw(n, frameTimes.Length, noiseSeed);
        baseFrames = Render(baseModel);
    }

    public IReadOnlyList<CaptionSpec> Captions { get; }
    public int ClipCount => captionOf.Length;
    public IReadOnlyList<string> CaptionTexts => captionTexts;

    /// <summary>The base model's clips as 8-bit frames (clip, frame).</summary>
    public byte[][][] BaseFrames => baseFrames;

    /// <summary>Renders every evaluation clip with a model, as 8-bit frames.</summary>
    public byte[][][] Render(SceneGenerator model)
    {
        using var noGrad = no_grad();
        var frames = new List<byte[][]>(ClipCount);
        for (var start = 0; start < ClipCount; start += Chunk)
        {
            using var scope = NewDisposeScope();
            var length = Math.Min(Chunk, ClipCount - start);
            using var rows = noise.Rows(start, length);
            var clips = model.Generate(features.narrow(0, start, length), rows, renderer, frameTimes);
            frames.AddRange(SoftRenderer.ToRgb24(clips));
        }
        return frames.ToArray();
    }

    /// <summary>
    /// Evaluates a model at a step: every clip is rendered, quantised to 8 bits, judged by the oracle and scored by the
    /// reward (standardised; the clean render, without the codec noise of tuning); the scene distribution's KL from the base
    /// model's and the pixel distance from the base model's clip are measured on the same caption and noise.
    /// </summary>
    public EvaluationPoint Evaluate(SceneGenerator model, SceneGenerator baseModel, IClipReward reward, int step)
    {
        using var noGrad = no_grad();
        var records = new List<ClipRecord>(ClipCount);
        var isBase = ReferenceEquals(model, baseModel);
        for (var start = 0; start < ClipCount; start += Chunk)
        {
            using var scope = NewDisposeScope();
            var length = Math.Min(Chunk, ClipCount - start);
            using var rows = noise.Rows(start, length);
            var batchFeatures = features.narrow(0, start, length);
            using var distribution = model.Predict(batchFeatures);
            using var baseDistribution = baseModel.Predict(batchFeatures);
            var kl = SceneGenerator.KullbackLeibler(distribution, baseDistribution, batchFeatures).data<float>().ToArray();
            using var scene = SceneGenerator.Sample(distribution, batchFeatures, rows, frameTimes);
            var clips = renderer.Render(scene);
            var frames = SoftRenderer.ToRgb24(clips);
            var quantised = (clips * 255).round() / 255;
            var proxy = reward.Standardised(quantised, captionTexts.Skip(start).Take(length).ToList()).data<float>().ToArray();
            for (var i = 0; i < length; i++)
            {
                var index = start + i;
                var verdict = isBase && baseVerdicts.TryGetValue(index, out var known)
                    ? known
                    : oracle.Judge(frames[i], Captions[captionOf[index]], frameTimes);
                if (isBase) baseVerdicts[index] = verdict;
                records.Add(new ClipRecord(captionOf[index], drawOf[index], verdict, proxy[i], kl[i], PixelRms(frames[i], baseFrames[index])));
            }
        }
        return new EvaluationPoint(step, records);
    }

    /// <summary>Raw reward scores of the base model's evaluation clips, for calibrating a reward's scale.</summary>
    public IReadOnlyList<double> RawScores(DifferentiableReward reward, SceneGenerator model)
    {
        using var noGrad = no_grad();
        var scores = new List<double>(ClipCount);
        for (var start = 0; start < ClipCount; start += Chunk)
        {
            using var scope = NewDisposeScope();
            var length = Math.Min(Chunk, ClipCount - start);
            using var rows = noise.Rows(start, length);
            var clips = model.Generate(features.narrow(0, start, length), rows, renderer, frameTimes);
            scores.AddRange(reward.RawScore((clips * 255).round() / 255, captionTexts.Skip(start).Take(length).ToList()).data<float>().Select(v => (double)v));
        }
        return scores;
    }

    /// <summary>Root-mean-square difference of two clips' pixels, in [0, 1] units.</summary>
    static double PixelRms(byte[][] a, byte[][] b)
    {
        double sum = 0;
        long n = 0;
        for (var f = 0; f < a.Length; f++)
            for (var k = 0; k < a[f].Length; k++)
            {
                var d = (a[f][k] - b[f][k]) / 255.0;
                sum += d * d;
                n++;
            }
        return Math.Sqrt(sum / n);
    }

    public void Dispose()
    {
        features.Dispose();
        noise.Dispose();
    }
}
