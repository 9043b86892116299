using MjVideo.Data;
using MjVideo.Metrics;
using MjVideo.Video;
using TorchSharp;
using static TorchSharp.torch;

namespace MjVideo.Synth;

/// <summary>The outcome of the shortcut check, test-split accuracies with Wilson intervals.</summary>
public sealed record ShortcutReport(Estimate LargerFileWins, Estimate SmallerFileWins, Estimate PairDifferenceModel,
    double ChosenWeightDecay, int TrainPairs, int Features);

/// <summary>
/// Checks that SynthBench gives no cheap shortcut to the preference: (1) the file size of the two mp4s alone, and (2) a
/// logistic regression on the difference of the two decoded videos of a pair (the mean signed difference image at 8x8
/// per colour channel, and per-frame absolute differences), trained on train, its weight decay chosen on val,
/// measured on test. Because the two videos are rendered independently from the caption, subtracting them should
/// reveal little; the numbers say how little.
/// </summary>
public static class ShortcutCheck
{
    public static async Task<ShortcutReport> RunAsync(PreferenceDataset train, PreferenceDataset val, PreferenceDataset test,
        VideoDecoder decoder, Preprocessing preprocessing, int seed = 0, CancellationToken cancellation = default)
    {
        var testDecisive = Decisive(test);
        var labels = testDecisive.Select(p => p.Overall).ToArray();
        double[] FileSizes(int video) => testDecisive.Select(p => (double)new FileInfo(test.ResolveVideo(p, video)).Length).ToArray();
        var (size0, size1) = (FileSizes(0), FileSizes(1));
        var larger = PreferenceAccuracy.Strict(size0, size1, labels);
        var smaller = PreferenceAccuracy.Strict(size0.Select(s => -s).ToArray(), size1.Select(s => -s).ToArray(), labels);

        var (xTrain, yTrain) = await FeaturesAsync(train, decoder, preprocessing, augment: true, cancellation);
        var (xVal, yVal) = await FeaturesAsync(val, decoder, preprocessing, augment: false, cancellation);
        var (xTest, yTest) = await FeaturesAsync(test, decoder, preprocessing, augment: false, cancellation);
        var (mean, std) = Standardisation(xTrain);
        var best = (Decay: 0.0, Accuracy: -1.0, Weights: Array.Empty<float>());
        foreach (var decay in new[] { 1e-4, 1e-3, 1e-2, 1e-1, 1.0 })
        {
            var weights = Fit(Normalise(xTrain, mean, std), yTrain, decay, seed);
            var accuracy = Accuracy(Normalise(xVal, mean, std), yVal, weights);
            if (accuracy > best.Accuracy) best = (decay, accuracy, weights);
        }
        var correct = Predict(Normalise(xTest, mean, std), best.Weights).Zip(yTest, (p, y) => p == y).Count(c => c);
        return new ShortcutReport(larger, smaller, Intervals.Wilson(correct, yTest.Length), best.Decay, yTrain.Length / 2,
            xTrain.Length == 0 ? 0 : xTrain[0].Length);
    }

    static List<PreferencePair> Decisive(PreferenceDataset data) => data.Pairs.Where(p => p.Overall.IsDecisive()).ToList();

    /// <summary>
    /// Features of (video 0 - video 1) and the label "video 0 preferred". Training data is augmented with each pair
    /// swapped (features negated where signed, label flipped), so the model cannot learn a position bias; val and test
    /// pairs count once each.
    /// </summary>
    static async Task<(float[][] X, bool[] Y)> FeaturesAsync(PreferenceDataset data, VideoDecoder decoder, Preprocessing preprocessing,
        bool augment, CancellationToken cancellation)
    {
        var pairs = Decisive(data);
        var x = new List<float[]>();
        var y = new List<bool>();
        foreach (var pair in pairs)
        {
            var a = await decoder.DecodeAsync(data.ResolveVideo(pair, 0), preprocessing, cancellation);
            var b = await decoder.DecodeAsync(data.ResolveVideo(pair, 1), preprocessing, cancellation);
            var (signed, absolute) = Difference(a, b);
            var firstPreferred = pair.Overall == PreferenceLabel.Video1Better;
            x.Add([.. signed, .. absolute]);
            y.Add(firstPreferred);
            if (!augment) continue;
            x.Add([.. signed.Select(v => -v), .. absolute]);
            y.Add(!firstPreferred);
        }
        return (x.ToArray(), y.ToArray());
    }

    /// <summary>The mean signed difference over frames pooled to 8x8 per channel, and the mean absolute difference per frame.</summary>
    static (float[] Signed, float[] Absolute) Difference(Clip a, Clip b)
    {
        const int cells = 8;
        var signed = new float[cells * cells * 3];
        var absolute = new float[a.FrameCount];
        var cell = a.Width / cells;
        for (var t = 0; t < a.FrameCount; t++)
        {
            var fa = a.Frame(t);
            var fb = b.Frame(t);
            double sumAbs = 0;
            for (var y = 0; y < a.Height; y++)
            for (var x = 0; x < a.Width; x++)
            for (var c = 0; c < 3; c++)
            {
                var i = (y * a.Width + x) * 3 + c;
                var d = (fa[i] - fb[i]) / 255f;
                signed[((Math.Min(y / cell, cells - 1)) * cells + Math.Min(x / cell, cells - 1)) * 3 + c] += d;
                sumAbs += Math.Abs(d);
            }
            absolute[t] = (float)(sumAbs / (a.Width * a.Height * 3));
        }
        var scale = 1f / (a.FrameCount * cell * cell);
        for (var i = 0; i < signed.Length; i++) signed[i] *= scale;
        return (signed, absolute);
    }

    static (float[] Mean, float[] Std) Standardisation(float[][] x)
    {
        var d = x[0].Length;
        var mean = new float[d];
        var std = new float[d];
        for (var j = 0; j < d; j++)
        {
            mean[j] = x.Average(r => r[j]);
            std[j] = (float)Math.Max(1e-6, Math.Sqrt(x.Average(r => (r[j] - mean[j]) * (r[j] - mean[j]))));
        }
        return (mean, std);
    }

    static float[][] Normalise(float[][] x, float[] mean, float[] std) =>
        x.Select(r => r.Select((v, j) => (v - mean[j]) / std[j]).ToArray()).ToArray();

    /// <summary>L2-regularised logistic regression (weights then bias), full-batch Adam for a fixed 400 steps.</summary>
    static float[] Fit(float[][] x, bool[] y, double decay, int seed)
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(seed);
        var d = x[0].Length;
        var features = torch.tensor(x.SelectMany(r => r).ToArray(), [x.Length, d]);
        var targets = torch.tensor(y.Select(b => b ? 1f : 0f).ToArray());
        var w = new TorchSharp.Modules.Parameter(torch.zeros(d));
        var bias = new TorchSharp.Modules.Parameter(torch.zeros(1));
        var optimizer = optim.Adam([w, bias], lr: 0.05);
        for (var step = 0; step < 400; step++)
        {
            optimizer.zero_grad();
            var logits = features.matmul(w) + bias;
            var loss = nn.functional.binary_cross_entropy_with_logits(logits, targets) + decay * w.pow(2).sum();
            loss.backward();
            optimizer.step();
        }
        return [.. w.detach().data<float>().ToArray(), bias.detach().item<float>()];
    }

    static bool[] Predict(float[][] x, float[] weights) =>
        x.Select(r => r.Select((v, j) => v * weights[j]).Sum() + weights[^1] > 0).ToArray();

    static double Accuracy(float[][] x, bool[] y, float[] weights) =>
        Predict(x, weights).Zip(y, (p, t) => p == t).Count(c => c) / (double)y.Length;
}
