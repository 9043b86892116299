using System.Text.Json;
using MjVideo.Backbones;
using MjVideo.Backbones.Precomputed;
using MjVideo.Backbones.Tiny;
using MjVideo.Core;
using MjVideo.Training;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace MjVideo.Experiments;

/// <summary>
/// The frozen backbones of the experiments, made once and kept on disk under
/// <c>data/cache/experiments/&lt;mode&gt;/&lt;videos fingerprint&gt;/seed-S/&lt;modalities&gt;/</c>: the pre-trained small encoder
/// (<c>backbone.safetensors</c> and its <c>pretrain.json</c> report, written last) and its exported states, one file per
/// frame choice (<c>states-8-paper.safetensors</c>, DESIGN 5's format). Each is reused while its key (encoder config,
/// pre-training settings and version, the videos' fingerprint) is unchanged, so an interrupted run resumes and notebook 04
/// reuses what notebook 03 made.
/// </summary>
public sealed class ExperimentBackbones : IDisposable
{
    readonly ExperimentSettings settings;
    readonly ExperimentData data;
    readonly string? clipCacheDir;
    readonly SemaphoreSlim inputsGate = new(1, 1);
    PretrainingInputs? inputs;

    public ExperimentBackbones(Workbook workbook, ExperimentSettings settings, ExperimentData data)
    {
        this.settings = settings;
        this.data = data;
        clipCacheDir = workbook.CacheDir;
        Folder = Path.Combine(workbook.CacheDir, "experiments", settings.Mode.ToString().ToLowerInvariant(), data.VideosFingerprint);
    }

    public string Folder { get; }

    public int ClipFrames => data.Reference.TestOracle.Frames;

    public TinyBackboneConfig ConfigFor(long seed, TinyModalities modalities) => settings.Backbone with { Seed = seed, Modalities = modalities };

    public string SeedFolder(long seed, TinyModalities modalities) => Path.Combine(Folder, $"seed-{seed}", modalities.ToString().ToLowerInvariant());

    /// <summary>The cache key of one pre-training: everything that decides its weights.</summary>
    public string PretrainKey(long seed, TinyModalities modalities) => ExperimentData.Hash(string.Join("\n",
        NeutralPretraining.Version, ConfigFor(seed, modalities).ToJson(), JsonSerializer.Serialize(settings.Pretrain), data.VideosFingerprint,
        ClipFrames.ToString()));

    string WeightsPath(long seed, TinyModalities m) => Path.Combine(SeedFolder(seed, m), "backbone.safetensors");
    string ReportPath(long seed, TinyModalities m) => Path.Combine(SeedFolder(seed, m), "pretrain.json");

    public string StatesPath(long seed, TinyModalities m, FrameChoice frames) =>
        Path.Combine(SeedFolder(seed, m), $"states-{(m == TinyModalities.CaptionOnly ? "caption" : frames.Key)}.safetensors");

    /// <summary>The report of a finished pre-training with the current key, or null.</summary>
    public PretrainReport? Existing(long seed, TinyModalities modalities)
    {
        var path = ReportPath(seed, modalities);
        if (!File.Exists(path) || !File.Exists(WeightsPath(seed, modalities))) return null;
        var report = JsonSerializer.Deserialize<PretrainReport>(File.ReadAllText(path), TrainConfig.JsonOptions)
                     ?? throw new InvalidDataException($"{path}: empty pre-training report");
        return report.Key == PretrainKey(seed, modalities) ? report : null;
    }

    /// <summary>Pre-trains whatever of the given (seed, modalities) encoders is missing, one at a time, and returns every report
    /// in the order given. <paramref name="log"/> receives one line per finished encoder.</summary>
    /// <remarks>One at a time, not <see cref="ExperimentSettings.MaxParallel"/> side by side: one pre-training alone peaks at about
    /// 2.2 GB resident, so two together pushed notebook 03 past its 4 GiB limit. Each runs on
    /// <see cref="PretrainSettings.Threads"/> torch threads instead.</remarks>
    public async Task<IReadOnlyList<PretrainReport>> EnsurePretrainedAsync(IReadOnlyList<(long Seed, TinyModalities Modalities)> encoders,
        Action<string>? log = null, CancellationToken cancellation = default)
    {
        var reports = new PretrainReport?[encoders.Count];
        for (var i = 0; i < encoders.Count; i++) reports[i] = Existing(encoders[i].Seed, encoders[i].Modalities);
        var missing = Enumerable.Range(0, encoders.Count).Where(i => reports[i] is null).ToList();
        if (missing.Count > 0)
        {
            var prepared = await InputsAsync(cancellation).ConfigureAwait(false);
            foreach (var i in missing)
            {
                cancellation.ThrowIfCancellationRequested();
                var (seed, modalities) = encoders[i];
                set_num_threads(settings.Pretrain.Threads);
                using var backbone = new TinyVideoTextBackbone(ConfigFor(seed, modalities), clipCacheDir);
                var report = NeutralPretraining.Run(backbone, prepared, settings.Pretrain, PretrainKey(seed, modalities), cancellation: cancellation);
                Save(backbone, report, seed, modalities);
                MemoryRelease.AfterPhase();
                reports[i] = report;
                log?.Invoke($"pre-trained {backbone.Id} seed {seed}: {report.Steps} steps in {report.Seconds:F0}s ({report.MsPerVideo:F1} ms/video)");
            }
            await ReleaseInputsAsync().ConfigureAwait(false);
        }
        return reports.Select(r => r!).ToList();
    }

    /// <summary>The pre-trained encoder, rebuilt from its saved weights (the caller disposes it).</summary>
    public TinyVideoTextBackbone Load(long seed, TinyModalities modalities)
    {
        if (Existing(seed, modalities) is null)
            throw new InvalidOperationException($"no current pre-trained encoder for seed {seed} ({modalities}) under {Folder}; run EnsurePretrainedAsync first");
        var backbone = new TinyVideoTextBackbone(ConfigFor(seed, modalities) with { Preprocessing = EveryFramePreprocessing() }, clipCacheDir);
        try
        {
            LoadWeights(backbone.Module, WeightsPath(seed, modalities));
            return backbone;
        }
        catch
        {
            backbone.Dispose();
            throw;
        }
    }

    /// <summary>The path of the encoder's states for a frame choice, exporting them first when missing (every video of the
    /// three splits, each its own id once; the caption-only encoder has one file for every frame choice).</summary>
    public async Task<string> EnsureStatesAsync(long seed, TinyModalities modalities, FrameChoice frames, CancellationToken cancellation = default)
    {
        if (modalities == TinyModalities.CaptionOnly) frames = FrameChoice.Paper;
        var path = StatesPath(seed, modalities, frames);
        var expectedId = ExportId(seed, modalities, frames);
        if (File.Exists(path) && File.Exists(path + ".json")
            && JsonDocument.Parse(File.ReadAllText(path + ".json")).RootElement.GetProperty("backbone").GetString() == expectedId)
            return path;
        using var backbone = Load(seed, modalities);
        var subset = new FrameSubsetBackbone(backbone, frames, ClipFrames, PretrainKey(seed, modalities));
        set_num_threads(settings.Pretrain.Threads);
        var export = await BackboneStates.ExportAsync(subset, data.AllVideos(), path, batchSize: 64, cancellation: cancellation).ConfigureAwait(false);
        FullModeEstimate.WriteTiming(path, export);
        MemoryRelease.AfterPhase();
        return path;
    }

    /// <summary>The states file a head on <paramref name="choice"/> reads: an encoder's export, or the oracle inputs.</summary>
    public async Task<string> EnsureStatesAsync(long seed, BackboneChoice choice, CancellationToken cancellation = default) =>
        choice.FromOracle
            ? OracleInputStates.Ensure(data, Folder)
            : await EnsureStatesAsync(seed, choice.Modalities, choice.Frames, cancellation).ConfigureAwait(false);

    /// <summary>What decides the states of <paramref name="choice"/>: the encoder's pre-training key, or the oracle inputs' version.</summary>
    public string StatesKey(long seed, BackboneChoice choice) =>
        choice.FromOracle ? $"{OracleInputStates.Version}-{data.VideosFingerprint}" : PretrainKey(seed, choice.Modalities);

    /// <summary>The encoder behind <paramref name="choice"/>, in words.</summary>
    public string EncoderDescription(long seed, BackboneChoice choice) =>
        choice.FromOracle ? "none (oracle inputs)" : ConfigFor(seed, choice.Modalities).Describe();

    string ExportId(long seed, TinyModalities modalities, FrameChoice frames) =>
        $"{ConfigFor(seed, modalities).Id}-{frames.Key}-{PretrainKey(seed, modalities)}";

    /// <summary>A precomputed backbone over the states of one encoder and frame choice.</summary>
    public async Task<PrecomputedBackbone> OpenStatesAsync(long seed, BackboneChoice choice, CancellationToken cancellation = default) =>
        new(PrecomputedStates.Load([await EnsureStatesAsync(seed, choice, cancellation).ConfigureAwait(false)]));

    Video.Preprocessing EveryFramePreprocessing() =>
        settings.Backbone.Preprocessing with { Frames = ClipFrames, Sampling = Video.FrameSampling.InclusiveUniform };

    /// <summary>Gives back the pre-training clips (every training and val video at 16 frames: about 0.3 GB in quick mode,
    /// 1.4 GB in full) once the encoders are trained; nothing after pre-training reads them, and a later call prepares
    /// them again.</summary>
    async Task ReleaseInputsAsync()
    {
        await inputsGate.WaitAsync().ConfigureAwait(false);
        try
        {
            inputs?.Dispose();
            inputs = null;
        }
        finally
        {
            inputsGate.Release();
        }
        MemoryRelease.AfterPhase();
    }

    async Task<PretrainingInputs> InputsAsync(CancellationToken cancellation)
    {
        await inputsGate.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            return inputs ??= await PretrainingInputs.PrepareAsync(data, settings.Backbone, clipCacheDir, cancellation).ConfigureAwait(false);
        }
        finally
        {
            inputsGate.Release();
        }
    }

    void Save(TinyVideoTextBackbone backbone, PretrainReport report, long seed, TinyModalities modalities)
    {
        Directory.CreateDirectory(SeedFolder(seed, modalities));
        var weights = WeightsPath(seed, modalities);
        using (var scope = NewDisposeScope())
            Safetensors.SaveStateDict(weights + ".tmp", backbone.Module.state_dict().ToDictionary(e => e.Key, e => e.Value.detach().cpu().contiguous()));
        File.Move(weights + ".tmp", weights, overwrite: true);
        var reportPath = ReportPath(seed, modalities);
        File.WriteAllText(reportPath + ".tmp", JsonSerializer.Serialize(report, TrainConfig.JsonOptions));
        File.Move(reportPath + ".tmp", reportPath, overwrite: true);
    }

    static void LoadWeights(nn.Module module, string path)
    {
        var loaded = Safetensors.LoadStateDict(path);
        try
        {
            var targets = module.state_dict();
            var missing = targets.Keys.Except(loaded.Keys).ToList();
            var unexpected = loaded.Keys.Except(targets.Keys).ToList();
            if (missing.Count > 0 || unexpected.Count > 0)
                throw new InvalidDataException($"{path}: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}]");
            using var noGrad = no_grad();
            foreach (var (name, target) in targets)
            {
                if (!loaded[name].shape.SequenceEqual(target.shape))
                    throw new InvalidDataException($"{path}: '{name}' is [{string.Join(", ", loaded[name].shape)}], the encoder needs [{string.Join(", ", target.shape)}]");
                target.copy_(loaded[name]);
            }
        }
        finally
        {
            foreach (var tensor in loaded.Values) tensor.Dispose();
        }
    }

    public void Dispose()
    {
        inputs?.Dispose();
        inputsGate.Dispose();
    }
}
