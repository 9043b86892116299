using System.Collections.Concurrent;
using MjVideo.Backbones.Pretrained;
using MjVideo.Core;
using MjVideo.Evaluation;
using MjVideo.Video;
using static TorchSharp.torch;

namespace MjVideo.Baselines.TrainingFree;

/// <summary>
/// Computes the VBench-like measures of videos: decodes each video once per decoding it needs (through the clip cache
/// when the decoder has one), runs ResNet-18 through the feature cache for subject consistency, and remembers every
/// value for the life of the object, so that the single-measure judges, the combined judge and the single-frame control
/// built on one measurer decode and measure each video once between them.
/// </summary>
public sealed class QualityMeasurer : IDisposable
{
    readonly ConcurrentDictionary<(QualityMeasure Measure, string Path), double> values = new();
    ResNetFeatureExtractor? ownedExtractor;

    /// <param name="decoder">decodes the clips (give it a <see cref="ClipCache"/> to keep them on disk)</param>
    /// <param name="features">ResNet-18 feature maps of the temporal clip, cached; only subject consistency needs it</param>
    /// <param name="frames">the two decodings (default: 16 frames for the temporal measures, the paper's 8 for sharpness)</param>
    /// <param name="maxParallel">videos measured at a time (default: the core count)</param>
    public QualityMeasurer(VideoDecoder decoder, FrameFeatureCache? features = null, QualityFrames? frames = null, int? maxParallel = null)
    {
        Decoder = decoder;
        Features = features;
        Frames = frames ?? QualityFrames.Default;
        MaxParallel = maxParallel ?? Environment.ProcessorCount;
        if (MaxParallel < 1) throw new ArgumentOutOfRangeException(nameof(maxParallel), MaxParallel, "need at least one worker");
    }

    /// <summary>The workbook's clip cache and ResNet-18 feature cache (data/cache), ResNet-18 at 112x112 by default.</summary>
    public static QualityMeasurer ForWorkbook(Workbook? workbook = null, ResNetExtractorOptions? resnet = null)
    {
        workbook ??= Workbook.Open();
        var extractor = ResNetFeatureExtractor.Open(workbook.CacheDir, resnet);
        return new QualityMeasurer(new VideoDecoder(cache: ClipCache.InWorkbook(workbook)), new FrameFeatureCache(workbook.CacheDir, extractor))
        {
            ownedExtractor = extractor,
        };
    }

    /// <summary>Releases the ResNet-18 session when <see cref="ForWorkbook"/> opened it (a given cache stays its owner's).</summary>
    public void Dispose()
    {
        ownedExtractor?.Dispose();
        ownedExtractor = null;
    }

    public VideoDecoder Decoder { get; }
    public FrameFeatureCache? Features { get; }
    public QualityFrames Frames { get; }
    public int MaxParallel { get; }

    /// <summary>What the features of the temporal clip were computed from, part of their cache key.</summary>
    public string FeatureDecoding => $"{Frames.Temporal.Describe()} (preprocessing {Frames.Temporal.Hash()}), rgb24 from the clip decoder";

    /// <summary>The measures' values for one video, in the order asked; values already known are not recomputed.</summary>
    public async Task<double[]> MeasureAsync(IReadOnlyList<QualityMeasure> measures, VideoRef video, CancellationToken cancellation = default)
    {
        var path = Path.GetFullPath(video.Path);
        var result = new double[measures.Count];
        DecodedVideo? decoded = null;
        // Temporal measures first: once the temporal clip is decoded, the default sample is picked out of it.
        var order = Enumerable.Range(0, measures.Count).OrderBy(i => measures[i].Frames() == MeasureFrames.Sampled).ToList();
        foreach (var i in order)
        {
            if (values.TryGetValue((measures[i], path), out var known))
            {
                result[i] = known;
                continue;
            }
            decoded ??= new DecodedVideo(this, path, cancellation);
            result[i] = await ComputeAsync(measures[i], video, decoded).ConfigureAwait(false);
            values[(measures[i], path)] = result[i];
        }
        return result;
    }

    /// <summary>The measures' values for many videos ([video][measure]), <see cref="MaxParallel"/> at a time;
    /// <paramref name="progress"/> receives the number of videos done.</summary>
    public async Task<double[][]> MeasureManyAsync(IReadOnlyList<QualityMeasure> measures, IReadOnlyList<VideoRef> videos,
        IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        var result = new double[videos.Count][];
        var done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, videos.Count),
            new ParallelOptions { MaxDegreeOfParallelism = MaxParallel, CancellationToken = cancellation },
            async (i, token) =>
            {
                result[i] = await MeasureAsync(measures, videos[i], token).ConfigureAwait(false);
                progress?.Report(Interlocked.Increment(ref done));
            }).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// Each measure's statistics over the distinct videos of a val split (one measuring pass for all of them).
    /// <paramref name="progress"/> receives the number of videos done.
    /// </summary>
    public async Task<IReadOnlyList<MeasureStatistics>> CalibrateAsync(JudgeInput val, IReadOnlyList<QualityMeasure> measures,
        IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        var videos = PerVideoJudging.DistinctVideos(val);
        var measured = await MeasureManyAsync(measures, videos, progress, cancellation).ConfigureAwait(false);
        return measures.Select((m, j) => MeasureStatistics.Compute(m, measured.Select(v => v[j]).ToList(), val.Dataset.SourceFile)).ToList();
    }

    async Task<double> ComputeAsync(QualityMeasure measure, VideoRef video, DecodedVideo decoded)
    {
        switch (measure)
        {
            case QualityMeasure.SubjectConsistency:
            {
                var clip = await decoded.TemporalAsync().ConfigureAwait(false);
                return FrameMeasures.SubjectConsistency(PooledFeatures(video, clip));
            }
            case QualityMeasure.MotionSmoothness:
            {
                var clip = await decoded.TemporalAsync().ConfigureAwait(false);
                var frames = Enumerable.Range(0, clip.FrameCount).Select(t => clip.Frame(t).ToArray()).ToList();
                return FrameMeasures.MotionSmoothness(frames, clip.Width, clip.Height);
            }
            case QualityMeasure.ImagingQuality:
            {
                var clip = await decoded.SampledAsync().ConfigureAwait(false);
                return Enumerable.Range(0, clip.FrameCount).Average(t => FrameMeasures.ImagingQuality(clip.Frame(t), clip.Width, clip.Height));
            }
            case QualityMeasure.MiddleFrameImagingQuality:
            {
                var clip = await decoded.TemporalAsync().ConfigureAwait(false);
                return FrameMeasures.ImagingQuality(clip.Frame((clip.FrameCount - 1) / 2), clip.Width, clip.Height);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(measure));
        }
    }

    /// <summary>One 512-value vector per frame: the frame's ResNet-18 map averaged over its spatial positions.</summary>
    List<float[]> PooledFeatures(VideoRef video, Clip clip)
    {
        if (Features is null)
            throw new InvalidOperationException("subject consistency needs ResNet-18 features, but this measurer was made without a feature cache");
        using var scope = NewDisposeScope();
        var maps = Features.GetOrCompute(video.Id, video.Path, FeatureDecoding, () => clip.ToTensor());
        if (maps.shape[0] != clip.FrameCount)
            throw new InvalidDataException(
                $"{video.Path}: the feature cache holds {maps.shape[0]} frames for '{video.Id}', the temporal clip has {clip.FrameCount}");
        var pooled = maps.to_type(ScalarType.Float32).mean([2, 3]).contiguous();
        var flat = pooled.data<float>().ToArray();
        var width = (int)pooled.shape[1];
        return Enumerable.Range(0, clip.FrameCount).Select(t => flat.AsSpan(t * width, width).ToArray()).ToList();
    }

    /// <summary>A video's decodings, each made at most once, and only when a measure asks for it.</summary>
    sealed class DecodedVideo(QualityMeasurer owner, string path, CancellationToken cancellation)
    {
        Clip? temporal, sampled;

        public async Task<Clip> TemporalAsync() =>
            temporal ??= await owner.Decoder.DecodeAsync(path, owner.Frames.Temporal, cancellation).ConfigureAwait(false);

        /// <summary>Picked out of the temporal clip when that holds every frame at the same size; decoded otherwise.</summary>
        public async Task<Clip> SampledAsync()
        {
            if (sampled is not null) return sampled;
            var target = owner.Frames.Sampled;
            if (temporal is { HoldsEveryFrame: true } all && all.Width == target.Width && all.Height == target.Height
                && all.Preprocessing.Resize == target.Resize)
                return sampled = all.Subsample(target);
            return sampled = await owner.Decoder.DecodeAsync(path, target, cancellation).ConfigureAwait(false);
        }
    }
}
