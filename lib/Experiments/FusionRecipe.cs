using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;
using MjVideo.Backbones;
using MjVideo.Backbones.Tiny;
using MjVideo.Core;
using MjVideo.Evaluation;
using MjVideo.Reports;
using MjVideo.Synth;
using MjVideo.Training;
using static TorchSharp.torch;

namespace MjVideo.Experiments;

/// <summary>One judge trained with the fusion on one family and seed (<see cref="FusionRecipe"/>).</summary>
public sealed record FusionCell(HeadVariant Variant, RuleFamily Family, long Seed)
{
    public const string Experiment = "fusion";

    public string Key => $"{Experiment}/{Family.Name()}/{Variant.Key}/seed-{Seed}";

    public string Display => $"{Variant.Display}, trainable fusion";
}

/// <summary>
/// The paper's recipe at CPU size: the vision part of the pre-trained v2 encoder is frozen and its tokens cached
/// (<see cref="FusionTokenCache"/>); the fusion transformer, the language-model analogue, trains with the judge's head
/// through stages 1 -> 2 -> 3 (<see cref="CachedFusionBackbone"/>), at <see cref="FusionRateScale"/> of the head's rate.
/// <list type="bullet">
/// <item>Stages 1 and 2 read only criteria and aspect labels, which are the same in every rule family, so they run once
/// per judge and seed on the reference family's pairs, and only stage 3 runs per family. The Bradley-Terry single head
/// trains on the overall preference in every stage, so it runs all three stages per family.</item>
/// <item>The learning rate is searched on the first seed only, over the heads' grid, on the reference family's val
/// (after stage 3); the other families and seeds reuse it.</item>
/// </list>
/// Every finished cell is a record in results/ (<c>config.experiment.key</c> = <see cref="FusionCell.Key"/>); a cell
/// whose spec hash is unchanged is not trained again.
/// </summary>
public sealed class FusionRecipe(Workbook workbook, ExperimentSettings settings, ExperimentData data, ExperimentBackbones backbones, ExperimentLedger ledger)
{
    public const string Version = "fusion-recipe-v1";

    /// <summary>The fusion steps at a tenth of the head's rate: the head starts from random weights, the fusion from its
    /// pre-training (whose peak rate was 1e-3, a tenth of the heads' largest).</summary>
    public const double FusionRateScale = 0.1;

    /// <summary>Seconds each checkpoint folder took to train in this process (a cell trained during the search reports them).</summary>
    readonly Dictionary<string, double> trainingSeconds = new(StringComparer.Ordinal);

    /// <summary>The gate scales recorded while each checkpoint folder was trained in this process.</summary>
    readonly Dictionary<string, GateScaleRecorder> recorders = new(StringComparer.Ordinal);

    /// <summary>The fusion cells of the mode's <see cref="FusionSettings"/>.</summary>
    public IReadOnlyList<FusionCell> PlannedCells() =>
        (from seed in settings.Fusion.Seeds from variant in settings.Fusion.Variants from family in settings.Fusion.Families
         select new FusionCell(variant, family, seed)).ToList();

    EvaluationOptions Options => new(settings.EvaluationSeed, settings.BootstrapResamples);

    RuleFamily Reference => data.Reference.Family;

    /// <summary>Whether the judge's stages 1 and 2 can be shared across families (they read no preference label).</summary>
    public static bool SharesEarlyStages(HeadVariant variant) => variant.Judge != JudgeKind.BtSingle && variant.Stages.SequenceEqual([1, 2, 3]);

    /// <summary>The cells of <paramref name="variants"/> on every family and the given seeds.</summary>
    public IReadOnlyList<FusionCell> Cells(IReadOnlyList<HeadVariant> variants, IReadOnlyList<long> seeds) =>
        (from seed in seeds from variant in variants from family in settings.Families select new FusionCell(variant, family, seed)).ToList();

    /// <summary>
    /// How many stage runs (one stage over the training pairs for the stage's epochs) a plan of cells takes: on the
    /// searching seed, every rate runs stages 1-3 on the reference family; a sharing judge then adds stage 3 per other
    /// family, and on every other seed stages 1-2 once plus stage 3 per family; the Bradley-Terry head runs 3 stages per
    /// family and seed. The search happens only when <paramref name="searchSeed"/> is among the seeds.
    /// </summary>
    public static double StageRuns(IReadOnlyList<HeadVariant> variants, int families, IReadOnlyList<long> seeds, long searchSeed, int rates) =>
        variants.Sum(variant => seeds.Sum(seed =>
        {
            var perFamily = SharesEarlyStages(variant) ? 1.0 : 3.0;
            var early = SharesEarlyStages(variant) ? 2.0 : 0.0;
            return seed == searchSeed ? rates * 3.0 + (families - 1) * perFamily : early + families * perFamily;
        }));

    public string TokensKey(long seed) => ExperimentData.Hash(string.Join("\n", Version, backbones.PretrainKey(seed, TinyModalities.VideoAndCaption), data.VideosFingerprint));

    string TokensFolder(long seed) => Path.Combine(backbones.SeedFolder(seed, TinyModalities.VideoAndCaption), "fusion-tokens");

    /// <summary>The training config of a cell's stages at <paramref name="rate"/>: the heads' config with the fusion's
    /// rate scale and the pre-training's thread count (the fusion's matrix products are large enough for two).</summary>
    public TrainConfig Config(HeadVariant variant, long seed, double rate)
    {
        var head = settings.HeadConfig(variant, seed, rate);
        return head with
        {
            Preset = $"fusion-{settings.Mode.ToString().ToLowerInvariant()}",
            Stages = head.Stages.Select(s => s with { BackboneRateScale = FusionRateScale }).ToList(),
            Threads = settings.Pretrain.Threads,
        };
    }

    public string SpecHash(FusionCell cell) => ExperimentData.Hash(string.Join("\n", Version, cell.Key,
        JsonSerializer.Serialize(cell.Variant, TrainConfig.JsonOptions), Config(cell.Variant, cell.Seed, 1).ToJson(),
        string.Join(",", settings.Head.LearningRateGrid.Select(r => r.ToString("R", CultureInfo.InvariantCulture))), TokensKey(cell.Seed),
        data[cell.Family].Fingerprint, data[Reference].Fingerprint, JsonSerializer.Serialize(Options)));

    /// <summary>The cached tokens of the seed's encoder, exported when missing (the caller disposes the cache).</summary>
    public async Task<FusionTokenCache> EnsureTokensAsync(long seed, Action<string>? log = null, CancellationToken cancellation = default)
    {
        var key = TokensKey(seed);
        if (FusionTokenCache.TryOpen(TokensFolder(seed), key) is { } existing) return existing;
        await backbones.EnsurePretrainedAsync([(seed, TinyModalities.VideoAndCaption)], log, cancellation).ConfigureAwait(false);
        using var encoder = backbones.Load(seed, TinyModalities.VideoAndCaption);
        if (encoder.Model is not GridVideoTextModel grid)
            throw new InvalidOperationException($"the fusion recipe needs the v2 encoder; the experiments' encoder is {encoder.Id}");
        set_num_threads(settings.Pretrain.Threads);
        var clock = Stopwatch.StartNew();
        var videos = data.AllVideos();
        var cache = FusionTokenCache.Write(TokensFolder(seed), key, grid, Batches(encoder, videos, cancellation));
        log?.Invoke($"fusion tokens of seed {seed}: {videos.Count} videos x {cache.Tokens} tokens in {clock.Elapsed.TotalSeconds:F0} s -> {cache.Folder}");
        MemoryRelease.AfterPhase();
        return cache;
    }

    /// <summary>The videos decoded 64 at a time (through the clip cache), so that at most one batch of clips is in memory.</summary>
    static IEnumerable<(IReadOnlyList<string>, Tensor, Tensor, Tensor)> Batches(TinyVideoTextBackbone encoder, IReadOnlyList<VideoItem> videos,
        CancellationToken cancellation)
    {
        for (var start = 0; start < videos.Count; start += 64)
        {
            cancellation.ThrowIfCancellationRequested();
            var chunk = videos.Skip(start).Take(64).ToList();
            using var inputs = (TinyInputs)encoder.PrepareAsync(chunk, cancellation).GetAwaiter().GetResult();
            using var clips = HeldScalars.With(255, s => inputs.Clips!.to_type(ScalarType.Float32).div_(s));
            yield return (inputs.VideoIds, clips, inputs.TokenIds!, inputs.TokenMask!);
        }
    }

    /// <summary>
    /// Trains and evaluates every cell not yet in results/, seed by seed (the first seed first, since it chooses the
    /// learning rates), and returns every cell's record in the order given.
    /// </summary>
    public async Task<IReadOnlyList<RunRecord>> RunAsync(IReadOnlyList<FusionCell> cells, Action<string>? log = null, CancellationToken cancellation = default)
    {
        var records = new RunRecord?[cells.Count];
        for (var i = 0; i < cells.Count; i++) records[i] = ledger.Find(cells[i].Key, SpecHash(cells[i]));
        var firstSeed = settings.Seeds[0];
        foreach (var seedGroup in Enumerable.Range(0, cells.Count).Where(i => records[i] is null).GroupBy(i => cells[i].Seed)
                     .OrderBy(g => g.Key == firstSeed ? 0 : 1).ThenBy(g => g.Key))
        {
            using var tokens = await EnsureTokensAsync(seedGroup.Key, log, cancellation).ConfigureAwait(false);
            using var encoder = backbones.Load(seedGroup.Key, TinyModalities.VideoAndCaption);
            var grid = (GridVideoTextModel)encoder.Model;
            foreach (var variantGroup in seedGroup.GroupBy(i => cells[i].Variant))
            {
                var variant = variantGroup.Key;
                var seed = seedGroup.Key;
                var (rate, candidates) = await RateAsync(variant, seed, grid, tokens, log, cancellation).ConfigureAwait(false);
                foreach (var i in variantGroup)
                {
                    records[i] = await TrainFamilyAsync(cells[i], rate, candidates, grid, tokens, log, cancellation).ConfigureAwait(false);
                    MemoryRelease.AfterPhase();
                }
            }
        }
        return records.Select(r => r!).ToList();
    }

    string BackboneId(long seed) => $"fusion-{backbones.PretrainKey(seed, TinyModalities.VideoAndCaption)[..8]}";

    string RunFolder(params string[] parts) => Path.Combine(new[] { backbones.Folder, "runs", FusionCell.Experiment }.Concat(parts).ToArray());

    static string RateName(double rate) => "lr-" + rate.ToString("R", CultureInfo.InvariantCulture);

    BackboneSpec Spec(long seed) => new() { Name = "fusion", HiddenSize = settings.Backbone.HiddenSize, Seed = seed };

    /// <summary>The rate of a judge: on the first seed searched over the grid on the reference family's val; on the others,
    /// the rate the first seed's reference-family record chose.</summary>
    async Task<(double Rate, JsonArray? Candidates)> RateAsync(HeadVariant variant, long seed, GridVideoTextModel grid, FusionTokenCache tokens,
        Action<string>? log, CancellationToken cancellation)
    {
        var firstSeed = settings.Seeds[0];
        if (seed != firstSeed)
        {
            var reference = new FusionCell(variant, Reference, firstSeed);
            var record = ledger.Find(reference.Key, SpecHash(reference))
                         ?? throw new InvalidOperationException($"{reference.Key} must run before seed {seed} reuses its learning rate");
            return (record.Metrics["training"]!["learning_rate"]!.GetValue<double>(), null);
        }
        var candidates = new JsonArray();
        double bestRate = double.NaN, bestAccuracy = double.NegativeInfinity;
        foreach (var rate in settings.Head.LearningRateGrid)
        {
            var checkpoint = await TrainStagesAsync(new FusionCell(variant, Reference, seed), rate, grid, tokens, log, cancellation).ConfigureAwait(false);
            var selected = TrainingCheckpoint.Read(checkpoint).History.Where(e => e.Improved).Last();
            candidates.Add(new JsonObject
            {
                ["learning_rate"] = rate, ["val_strict"] = Round(selected.ValStrictAccuracy), ["val_loss"] = Round(selected.ValLoss),
                ["seconds"] = Round(trainingSeconds.GetValueOrDefault(checkpoint, double.NaN)),
            });
            if (selected.ValStrictAccuracy > bestAccuracy) (bestRate, bestAccuracy) = (rate, selected.ValStrictAccuracy);
        }
        log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"fusion {variant.Key} seed {seed}: learning rate {bestRate} chosen on {Reference.Name()} val"));
        return (bestRate, candidates);
    }

    /// <summary>Trains a cell's stages (reusing a finished shared stage-1-2 checkpoint) and returns its final checkpoint folder.</summary>
    async Task<string> TrainStagesAsync(FusionCell cell, double rate, GridVideoTextModel grid, FusionTokenCache tokens, Action<string>? log,
        CancellationToken cancellation)
    {
        var config = Config(cell.Variant, cell.Seed, rate);
        var final = RunFolder(cell.Family.Name(), cell.Variant.Key, $"seed-{cell.Seed}", RateName(rate));
        if (IsFinished(final, SharesEarlyStages(cell.Variant) ? config.WithStages([3]) : config)) return final;
        var clock = Stopwatch.StartNew();
        try
        {
            await TrainInto(final, cell, config, grid, tokens, log, cancellation).ConfigureAwait(false);
        }
        finally
        {
            trainingSeconds[final] = clock.Elapsed.TotalSeconds;
        }
        return final;
    }

    async Task TrainInto(string final, FusionCell cell, TrainConfig config, GridVideoTextModel grid, FusionTokenCache tokens, Action<string>? log,
        CancellationToken cancellation)
    {
        using var backbone = new CachedFusionBackbone(grid, tokens, BackboneId(cell.Seed));
        var family = data[cell.Family];
        using var train = await TrainingData.PrepareAsync(family.Train, backbone, cancellation).ConfigureAwait(false);
        using var val = await TrainingData.PrepareAsync(family.Val, backbone, cancellation).ConfigureAwait(false);
        var recorder = recorders[final] = new GateScaleRecorder(log, cell.Key);
        if (!SharesEarlyStages(cell.Variant))
        {
            Fresh(final);
            using var model = new RewardModel(config.Model, backbone, config.Seed);
            new StagedTrainer(config, recorder).Train(model, Spec(cell.Seed), train, val, final, cancellation: cancellation);
            return;
        }
        var early = config.WithStages([1, 2]);
        var shared = RunFolder("shared", cell.Variant.Key, $"seed-{cell.Seed}", RateName(config.Stages[0].LearningRate));
        if (!IsFinished(shared, early))
        {
            Fresh(shared);
            var reference = data[Reference];
            using var referenceTrain = await TrainingData.PrepareAsync(reference.Train, backbone, cancellation).ConfigureAwait(false);
            using var referenceVal = await TrainingData.PrepareAsync(reference.Val, backbone, cancellation).ConfigureAwait(false);
            using var model = new RewardModel(early.Model, backbone, early.Seed);
            new StagedTrainer(early, new GateScaleRecorder(log, cell.Key)).Train(model, Spec(cell.Seed), referenceTrain, referenceVal, shared, cancellation: cancellation);
        }
        Fresh(final);
        using (var model = TrainingCheckpoint.Read(shared).CreateModel(backbone))
            new StagedTrainer(config.WithStages([3]), recorder).Train(model, Spec(cell.Seed), train, val, final, cancellation: cancellation);
    }

    static void Fresh(string folder)
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    /// <summary>A checkpoint that finished the stages of <paramref name="config"/> (its saved stages and rates are these).</summary>
    static bool IsFinished(string folder, TrainConfig config)
    {
        if (!File.Exists(Path.Combine(folder, TrainingCheckpoint.InfoFile))) return false;
        try
        {
            var checkpoint = TrainingCheckpoint.Read(folder);
            return checkpoint.Info.Progress.Completed
                   && checkpoint.Config.Stages.Select(s => (s.Stage, s.LearningRate)).SequenceEqual(config.Stages.Select(s => (s.Stage, s.LearningRate)));
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    async Task<RunRecord> TrainFamilyAsync(FusionCell cell, double rate, JsonArray? candidates, GridVideoTextModel grid, FusionTokenCache tokens,
        Action<string>? log, CancellationToken cancellation)
    {
        var checkpoint = await TrainStagesAsync(cell, rate, grid, tokens, log, cancellation).ConfigureAwait(false);
        // Stages 1 and 2 of a sharing judge are trained once and counted in the first family's cell only.
        var seconds = trainingSeconds.GetValueOrDefault(checkpoint, double.NaN);
        using var backbone = new CachedFusionBackbone(grid, tokens, BackboneId(cell.Seed));
        using var judge = TrainedJudge.Load(checkpoint, backbone);
        var family = data[cell.Family];
        var evaluation = await Evaluator.EvaluateAsync(judge, family.Evaluation, Options, cancellation: cancellation).ConfigureAwait(false);
        var training = new JsonObject
        {
            ["learning_rate"] = rate,
            ["candidates"] = candidates?.DeepClone(),
            ["learning_rate_source"] = candidates is null ? $"chosen on seed {settings.Seeds[0]}" : $"searched on {Reference.Name()} val",
            ["fusion_rate_scale"] = FusionRateScale,
            ["shares_stages_1_2"] = SharesEarlyStages(cell.Variant),
            ["seconds"] = Round(seconds),
        };
        // A checkpoint trained by an earlier process has no scales recorded here; its history and loss trace are on disk.
        HeadRunner.AddHistory(training, judge.Checkpoint, recorders.GetValueOrDefault(checkpoint) ?? new GateScaleRecorder());
        var metrics = new JsonObject { ["training"] = training };
        if (judge.Kind == JudgeKind.MjVideo && cell.Variant.Routing.HasCriteria)
            metrics["routing"] = (await RoutingAnalysis.AnalyseAsync(judge, family, evaluation, cancellation).ConfigureAwait(false)).ToJson();
        var config = new JsonObject
        {
            [ExperimentLedger.ExperimentField] = new JsonObject
            {
                ["key"] = cell.Key,
                ["spec_hash"] = SpecHash(cell),
                ["experiment"] = FusionCell.Experiment,
                ["family"] = cell.Family.Name(),
                ["seed"] = cell.Seed,
                ["variant_key"] = cell.Variant.Key,
                ["display"] = cell.Display,
                ["encoder"] = backbones.ConfigFor(cell.Seed, TinyModalities.VideoAndCaption).Describe(),
                ["pretrain_key"] = backbones.PretrainKey(cell.Seed, TinyModalities.VideoAndCaption),
                ["train_config"] = JsonNode.Parse(Config(cell.Variant, cell.Seed, rate).ToJson()),
                ["synthbench"] = new JsonObject
                {
                    ["version"] = data.SynthBenchVersion, ["config_hash"] = data.SynthBenchConfigHash, ["family_fingerprint"] = family.Fingerprint,
                },
            },
        };
        log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"{cell.Key}: strict {100 * (evaluation.Noisy?.Strict.Value ?? double.NaN):F1}% (lr {rate}) in {seconds:F0} s"));
        return ledger.Add(EvaluationTables.Save(workbook, family.Evaluation, evaluation, Options, config, metrics));
    }

    /// <summary>
    /// Each fusion cell against the same judge's head on frozen states (the main comparison's cell of the same family and
    /// seed), on the same test pairs: both strict accuracies and the paired difference with McNemar's test.
    /// </summary>
    public DataFrame AgainstFrozen(IReadOnlyList<FusionCell> cells)
    {
        var rows = new List<(string Cell, string Fusion, string Frozen, string Difference, string P)>();
        foreach (var cell in cells)
        {
            var fusion = ledger.Find(cell.Key, SpecHash(cell));
            var frozen = ledger.Latest(new HeadCell(MainComparison.Experiment, cell.Variant, cell.Family, cell.Seed, BackboneChoice.Default,
                LearningRateSource.Search(settings.Head.LearningRateGrid)).Key);
            if (fusion is null || frozen is null)
            {
                rows.Add((cell.Key, fusion is null ? "not run" : "", frozen is null ? "not run" : "", "", ""));
                continue;
            }
            var evaluation = data[cell.Family].Evaluation;
            var (a, b) = (ExperimentLedger.Scores(fusion, evaluation), ExperimentLedger.Scores(frozen, evaluation));
            var (difference, _, mcnemar) = Evaluator.Compare(a, b, Options);
            static string Strict(RunRecord record) => new ResultRow("", "", "", [record]).Metric("overall.strict").Format();
            rows.Add((cell.Key, Strict(fusion), Strict(frozen), difference.FormatValue(),
                mcnemar.PValue.ToString("0.####", CultureInfo.InvariantCulture)));
        }
        return new DataFrame(
            new StringDataFrameColumn("cell", rows.Select(r => r.Cell)),
            new StringDataFrameColumn("trainable fusion: strict (published) [95% CI]", rows.Select(r => r.Fusion)),
            new StringDataFrameColumn("head on frozen states", rows.Select(r => r.Frozen)),
            new StringDataFrameColumn("fusion minus frozen (paired bootstrap)", rows.Select(r => r.Difference)),
            new StringDataFrameColumn("McNemar p", rows.Select(r => r.P)));
    }

    static JsonNode? Round(double x) => double.IsFinite(x) ? JsonValue.Create(Math.Round(x, 6)) : null;
}
