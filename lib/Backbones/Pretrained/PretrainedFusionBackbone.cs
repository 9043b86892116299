using MjVideo.Video;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MjVideo.Backbones.Pretrained;

/// <summary>
/// Frozen pretrained encoders that ship in NuGet packages, with a trainable fusion (DESIGN 1 and 5): ResNet-18's pre-pool
/// feature maps of each frame and MiniLM's caption embedding, fused by <see cref="PretrainedFusionModel"/>.
/// <para>
/// Preparing a video decodes its cached-frame grid (<see cref="FeatureFrames"/>; all 16 frames of a SynthBench clip)
/// straight to the network's input size in one ffmpeg process, runs ResNet-18 once and stores the float16 maps in the
/// feature cache; the frame count and sampling rule of <see cref="PretrainedFusionConfig.Preprocessing"/> then pick
/// frames out of the grid, so changing them never re-runs the encoder. Caption embeddings are cached per caption.
/// The encoders never train: only the fusion has parameters, and it trains in every stage (it plays the LLM's part).
/// </para>
/// </summary>
public sealed class PretrainedFusionBackbone : IBackbone
{
    readonly PretrainedFusionModel model;
    readonly string cacheDir;
    readonly FfmpegTools tools;
    readonly VideoDecoder decoder;
    readonly Lock openGate = new();
    ResNetFeatureExtractor? extractor;
    FrameFeatureCache? featureCache;
    CaptionEncoder? captionEncoder;

    /// <param name="config">the fusion's shape, the frames it reads and its seed</param>
    /// <param name="cacheDir">the workbook's cache root (<c>Workbook.CacheDir</c>): the edited ResNet-18 model, feature
    /// maps and caption embeddings are kept under it</param>
    /// <param name="tools">where ffmpeg is (found on PATH by default)</param>
    public PretrainedFusionBackbone(PretrainedFusionConfig config, string cacheDir, FfmpegTools? tools = null)
    {
        model = new PretrainedFusionModel(config);
        this.cacheDir = cacheDir ?? throw new ArgumentNullException(nameof(cacheDir));
        this.tools = tools ?? new FfmpegTools();
        decoder = new VideoDecoder(this.tools);
    }

    public PretrainedFusionConfig Config => model.Config;
    public PretrainedFusionModel Model => model;

    public string Id => Config.Id;
    public int HiddenSize => Config.HiddenSize;
    public nn.Module Module => model;

    /// <summary>The feature cache (and the ResNet-18 behind it), opened on first use.</summary>
    public FrameFeatureCache FeatureCache
    {
        get
        {
            lock (openGate)
            {
                if (featureCache is not null) return featureCache;
                var opened = ResNetFeatureExtractor.Open(cacheDir,
                    new ResNetExtractorOptions(InputSize: Config.InputSize, BatchSize: Config.CachedFrames, IntraOpThreads: Config.ExtractorThreads));
                if (opened.Channels != PretrainedFusionConfig.FeatureChannels || opened.MapHeight != Config.MapSide || opened.MapWidth != Config.MapSide)
                {
                    var shape = $"{opened.Channels}x{opened.MapHeight}x{opened.MapWidth}";
                    opened.Dispose();
                    throw new InvalidOperationException(
                        $"ResNet-18 at {Config.InputSize}px gives {shape} maps, but the fusion was built for " +
                        $"{PretrainedFusionConfig.FeatureChannels}x{Config.MapSide}x{Config.MapSide}");
                }
                extractor = opened;
                return featureCache = new FrameFeatureCache(cacheDir, extractor);
            }
        }
    }

    /// <summary>The MiniLM caption encoder with its cache, opened on first use.</summary>
    public CaptionEncoder CaptionEncoder
    {
        get
        {
            lock (openGate) return captionEncoder ??= new CaptionEncoder(cacheDir, Config.ExtractorThreads);
        }
    }

    /// <summary>Feature maps of the configured frames (from the cache, or computed and cached) and caption embeddings.</summary>
    public async Task<BackboneInputs> PrepareAsync(IReadOnlyList<VideoItem> videos, CancellationToken cancellation = default)
    {
        var cache = FeatureCache;
        var features = new Tensor[videos.Count];
        try
        {
            // Decoding (ffmpeg processes) overlaps with feature extraction; the extractor itself runs one call at a time.
            await Parallel.ForEachAsync(Enumerable.Range(0, videos.Count),
                new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellation },
                async (i, token) => features[i] = await SelectedFeaturesAsync(cache, videos[i], token).ConfigureAwait(false)).ConfigureAwait(false);
            var stacked = videos.Count == 0
                ? empty([0, Config.Preprocessing.Frames, PretrainedFusionConfig.FeatureChannels, Config.MapSide, Config.MapSide], ScalarType.Float16)
                : stack(features);
            var captions = CaptionEncoder.EncodeTensor(videos.Select(v => v.Caption).ToArray());
            return new PretrainedInputs(videos.Select(v => v.VideoId).ToArray(), stacked, captions);
        }
        finally
        {
            foreach (var f in features) f?.Dispose();
        }
    }

    /// <summary>[T, 512, s, s] float16: the configured frames' maps, picked out of the video's cached grid.</summary>
    async Task<Tensor> SelectedFeaturesAsync(FrameFeatureCache cache, VideoItem video, CancellationToken cancellation)
    {
        var info = await VideoProbe.ProbeAsync(video.Path, tools, cancellation).ConfigureAwait(false);
        var grid = FeatureFrames.Grid(info.FrameCount, Config.CachedFrames);
        var gridDecoding = new Preprocessing(grid.Length, FrameSampling.InclusiveUniform, Config.InputSize, Config.InputSize, Config.Preprocessing.Resize);
        var decoding = $"{gridDecoding.Describe()}, ffmpeg rgb24";
        using var all = await cache.GetOrComputeAsync(video.VideoId, video.Path, decoding,
            async token => (await decoder.DecodeAsync(info, gridDecoding, token).ConfigureAwait(false)).ToByteTensor(), cancellation).ConfigureAwait(false);
        if (all.shape[0] != grid.Length)
            throw new InvalidDataException($"{video.Path}: the feature cache holds {all.shape[0]} frames for video '{video.VideoId}', expected {grid.Length}");
        var positions = FeatureFrames.Positions(info.FrameCount, info.Fps, Config.CachedFrames, Config.Preprocessing);
        using var index = tensor(positions.Select(p => (long)p).ToArray());
        return all.index_select(0, index);
    }

    public BackboneOutput Forward(BackboneInputs inputs)
    {
        if (inputs is not PretrainedInputs prepared)
            throw new ArgumentException($"{Id} needs inputs from its own PrepareAsync ({nameof(PretrainedInputs)}), got {inputs.GetType().Name}");
        using var scope = NewDisposeScope();
        var device = model.parameters().First().device;
        var (hGate, hLast) = model.Encode(prepared.Features.to(device), prepared.Captions.to(device));
        return new BackboneOutput(hGate.MoveToOuterDisposeScope(), hLast.MoveToOuterDisposeScope());
    }

    /// <summary>The whole fusion, in every stage; the encoders are frozen and have no parameters here.</summary>
    public IEnumerable<Parameter> ParametersTrainedIn(int stage)
    {
        if (stage is < 1 or > 3) throw new ArgumentOutOfRangeException(nameof(stage), stage, "training stages are 1, 2 and 3");
        return model.parameters().ToList();
    }

    public void Dispose()
    {
        model.Dispose();
        lock (openGate)
        {
            extractor?.Dispose();
            captionEncoder?.Dispose();
        }
    }
}
