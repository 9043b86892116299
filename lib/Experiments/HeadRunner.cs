using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using MjVideo.Backbones;
using MjVideo.Backbones.Precomputed;
using MjVideo.Core;
using MjVideo.Evaluation;
using MjVideo.Model;
using MjVideo.Reports;
using MjVideo.Synth;
using MjVideo.Training;

namespace MjVideo.Experiments;

/// <summary>A cell's record, and whether it was already in results/ (true) or made by this call.</summary>
public sealed record HeadRunResult(HeadCell Cell, RunRecord Record, bool Reused);

/// <summary>
/// Trains and evaluates heads on the frozen states (<see cref="HeadCell"/>): the learning rate is searched on val with
/// <see cref="LearningRateSearch"/> or taken from the cell named by its source; the chosen checkpoint is loaded as a
/// <see cref="TrainedJudge"/>, evaluated by the one <see cref="Evaluator"/> on the family's test split (noisy and clean
/// labels, Table 1 and per-criterion metrics), analysed for routing when it has routers, and written to results/ with
/// its config and training history. Cells already in results/ with the same spec hash are skipped.
/// Checkpoints go to <c>&lt;experiments cache&gt;/runs/&lt;cell key&gt;/lr-RATE</c>.
/// </summary>
public sealed class HeadRunner(Workbook workbook, ExperimentSettings settings, ExperimentData data, ExperimentBackbones backbones, ExperimentLedger ledger)
    : IDisposable
{
    /// <summary>Bumped whenever what a head run does changes, so that old records read as stale.</summary>
    public const string Version = "head-run-v1";

    readonly ConcurrentDictionary<string, Lazy<Task<PrecomputedBackbone>>> states = new();
    readonly ConcurrentDictionary<string, Lazy<Task<(TrainingData Train, TrainingData Val)>>> prepared = new();

    public EvaluationOptions EvaluationOptions => new(settings.EvaluationSeed, settings.BootstrapResamples);

    public ExperimentLedger Ledger => ledger;

    public string RunFolder(HeadCell cell) => Path.Combine(new[] { backbones.Folder, "runs" }.Concat(cell.Key.Split('/')).ToArray());

    /// <summary>Everything that decides a cell's record, hashed: rerunning a cell whose hash is unchanged reproduces it.</summary>
    public string SpecHash(HeadCell cell)
    {
        var family = data[cell.Family];
        var config = settings.HeadConfig(cell.Variant, cell.Seed, learningRate: 1).ToJson();
        return ExperimentData.Hash(string.Join("\n", Version, cell.Key, JsonSerializer.Serialize(cell.Variant, TrainConfig.JsonOptions), config,
            cell.LearningRate.ToJson().ToJsonString(), family.Fingerprint, backbones.StatesKey(cell.Seed, cell.Backbone),
            cell.Backbone.Key, JsonSerializer.Serialize(EvaluationOptions)));
    }

    /// <summary>
    /// Runs the cells not yet in results/: first every cell that searches its own learning rate, then those that reuse
    /// one, each group <see cref="ExperimentSettings.MaxParallel"/> at a time. The encoders and states the cells need are
    /// made first. <paramref name="onFinished"/> is called once per cell, in completion order (also for reused ones).
    /// </summary>
    public async Task<IReadOnlyList<HeadRunResult>> RunAsync(IReadOnlyList<HeadCell> cells, Action<HeadRunResult>? onFinished = null,
        Action<string>? log = null, CancellationToken cancellation = default)
    {
        var results = new HeadRunResult?[cells.Count];
        var todo = new List<int>();
        for (var i = 0; i < cells.Count; i++)
        {
            if (ledger.Find(cells[i].Key, SpecHash(cells[i])) is { } record)
            {
                results[i] = new HeadRunResult(cells[i], record, Reused: true);
                onFinished?.Invoke(results[i]!);
            }
            else todo.Add(i);
        }
        if (todo.Count > 0)
        {
            var encoders = todo.Where(i => !cells[i].Backbone.FromOracle).Select(i => (cells[i].Seed, cells[i].Backbone.Modalities)).Distinct().ToList();
            await backbones.EnsurePretrainedAsync(encoders, log, cancellation).ConfigureAwait(false);
            foreach (var (seed, backbone) in todo.Select(i => (cells[i].Seed, cells[i].Backbone)).Distinct())
                await backbones.EnsureStatesAsync(seed, backbone, cancellation).ConfigureAwait(false);
            var keys = cells.Select(c => c.Key).ToHashSet();
            var first = todo.Where(i => cells[i].LearningRate.From is not { } from || !keys.Contains(from)).ToList();
            var second = todo.Except(first).ToList();
            foreach (var group in new[] { first, second })
                await Parallel.ForEachAsync(group, new ParallelOptions { MaxDegreeOfParallelism = settings.MaxParallel, CancellationToken = cancellation },
                    async (i, token) =>
                    {
                        results[i] = await RunOneAsync(cells[i], token).ConfigureAwait(false);
                        MemoryRelease.AfterPhase();   // a head run's escaped tensors and freed heap, before the next one
                        onFinished?.Invoke(results[i]!);
                    }).ConfigureAwait(false);
        }
        return results.Select(r => r!).ToList();
    }

    /// <summary>Runs one cell (or returns its record when it is already in results/ with the current hash).</summary>
    public async Task<HeadRunResult> RunOneAsync(HeadCell cell, CancellationToken cancellation = default)
    {
        cell.Variant.Validate();
        var hash = SpecHash(cell);
        if (ledger.Find(cell.Key, hash) is { } existing) return new HeadRunResult(cell, existing, Reused: true);
        var family = data[cell.Family];
        var backbone = await StatesAsync(cell).ConfigureAwait(false);
        var (train, val) = await PreparedAsync(cell, backbone).ConfigureAwait(false);
        var folder = RunFolder(cell);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        var spec = new BackboneSpec
        {
            Name = PrecomputedBackbone.Name,
            StatesFiles = [await backbones.EnsureStatesAsync(cell.Seed, cell.Backbone, cancellation).ConfigureAwait(false)],
            HiddenSize = backbone.HiddenSize,
        };

        var clock = Stopwatch.StartNew();
        var training = new JsonObject();
        string checkpoint;
        GateScaleRecorder recorder;
        if (cell.LearningRate.SearchGrid is { } grid)
        {
            var recorders = new Dictionary<double, GateScaleRecorder>();
            var search = LearningRateSearch.Run(settings.HeadConfig(cell.Variant, cell.Seed, grid[0]), grid, backbone, spec, train, val, folder,
                rate => recorders[rate] = new GateScaleRecorder(), cancellation);
            checkpoint = search.Best.CheckpointDirectory;
            recorder = recorders[search.Best.LearningRate];
            training["learning_rate"] = search.Best.LearningRate;
            training["candidates"] = new JsonArray(search.Candidates.Select(c => (JsonNode?)new JsonObject
            {
                ["learning_rate"] = c.LearningRate,
                ["val_strict"] = Round(c.Selected.ValStrictAccuracy),
                ["val_loss"] = Round(c.Selected.ValLoss),
            }).ToArray());
        }
        else
        {
            var source = ledger.Latest(cell.LearningRate.From!)
                ?? throw new InvalidOperationException($"cell {cell.Key} reuses the learning rate of {cell.LearningRate.From}, which has not run");
            var rate = source.Metrics["training"]?["learning_rate"]?.GetValue<double>()
                ?? throw new InvalidDataException($"record {source.RunId}: metrics.training.learning_rate is missing");
            var config = settings.HeadConfig(cell.Variant, cell.Seed, rate);
            using var model = new RewardModel(config.Model, backbone, config.Seed);
            recorder = new GateScaleRecorder();
            checkpoint = LearningRateSearch.CandidateFolder(folder, rate);
            new StagedTrainer(config, recorder).Train(model, spec, train, val, checkpoint, cancellation: cancellation);
            training["learning_rate"] = rate;
        }
        training["learning_rate_source"] = cell.LearningRate.ToJson();
        training["seconds"] = Round(clock.Elapsed.TotalSeconds);

        using var judge = TrainedJudge.Load(checkpoint, backbone);
        AddHistory(training, judge.Checkpoint, recorder);
        var evaluation = await Evaluator.EvaluateAsync(judge, family.Evaluation, EvaluationOptions, cancellation: cancellation).ConfigureAwait(false);
        var extraMetrics = new JsonObject { ["training"] = training };
        if (judge.Kind == JudgeKind.MjVideo && cell.Variant.Routing.HasCriteria)
            extraMetrics["routing"] = (await RoutingAnalysis.AnalyseAsync(judge, family, evaluation, cancellation).ConfigureAwait(false)).ToJson();
        var path = EvaluationTables.Save(workbook, family.Evaluation, evaluation, EvaluationOptions, ExperimentConfig(cell, hash), extraMetrics);
        return new HeadRunResult(cell, ledger.Add(path), Reused: false);
    }

    /// <summary>Loads a cell's trained judge from the checkpoint its record names, on the cell's states (the caller disposes it).</summary>
    public async Task<TrainedJudge> LoadJudgeAsync(HeadCell cell, CancellationToken cancellation = default)
    {
        var record = ledger.Latest(cell.Key) ?? throw new InvalidOperationException($"cell {cell.Key} has no record in results/");
        var checkpoint = record.Config["judge"]?["checkpoint"]?.GetValue<string>()
            ?? throw new InvalidDataException($"record {record.RunId}: config.judge.checkpoint is missing");
        if (!cell.Backbone.FromOracle)
            await backbones.EnsurePretrainedAsync([(cell.Seed, cell.Backbone.Modalities)], cancellation: cancellation).ConfigureAwait(false);
        return TrainedJudge.Load(workbook.Resolve(checkpoint), await StatesAsync(cell).ConfigureAwait(false));
    }

    /// <summary>config.experiment of a head run: the cell, its spec hash and everything that defines it.</summary>
    JsonObject ExperimentConfig(HeadCell cell, string hash)
    {
        var variant = JsonNode.Parse(JsonSerializer.Serialize(cell.Variant, TrainConfig.JsonOptions))!;
        return new JsonObject
        {
            [ExperimentLedger.ExperimentField] = new JsonObject
            {
                ["key"] = cell.Key,
                ["spec_hash"] = hash,
                ["experiment"] = cell.Experiment,
                ["family"] = cell.Family.Name(),
                ["seed"] = cell.Seed,
                ["variant_key"] = cell.Variant.Key,
                ["display"] = cell.Display,
                ["variant"] = variant,
                ["backbone"] = new JsonObject
                {
                    ["key"] = cell.Backbone.Key,
                    ["describe"] = cell.Backbone.Describe(backbones.ClipFrames),
                    ["encoder"] = backbones.EncoderDescription(cell.Seed, cell.Backbone),
                    ["pretrain_key"] = backbones.StatesKey(cell.Seed, cell.Backbone),
                    ["pretraining"] = JsonNode.Parse(JsonSerializer.Serialize(settings.Pretrain, TrainConfig.JsonOptions)),
                },
                ["head"] = JsonNode.Parse(settings.HeadConfig(cell.Variant, cell.Seed, learningRate: 1).ToJson()),
                ["learning_rate_source"] = cell.LearningRate.ToJson(),
                ["synthbench"] = new JsonObject
                {
                    ["version"] = data.SynthBenchVersion, ["config_hash"] = data.SynthBenchConfigHash, ["family_fingerprint"] = data[cell.Family].Fingerprint,
                },
            },
        };
    }

    /// <summary>The selected epochs, every epoch's val numbers, a thinned loss trace (at most 300 points) and the scales.</summary>
    internal static void AddHistory(JsonObject training, TrainingCheckpoint checkpoint, GateScaleRecorder recorder)
    {
        training["steps"] = checkpoint.Info.Progress.GlobalStep;
        training["head_parameters"] = checkpoint.Info.HeadTrainableParameters;
        training["mjvideo_head_parameters"] = checkpoint.Info.MjVideoHeadTrainableParameters;
        training["adapter_width"] = checkpoint.Info.AdapterWidth;
        training["history"] = new JsonArray(checkpoint.History.Select(e => (JsonNode?)new JsonObject
        {
            ["stage"] = e.Stage, ["epoch"] = e.Epoch, ["step"] = e.Step, ["train_loss"] = Round(e.TrainLoss), ["val_loss"] = Round(e.ValLoss),
            ["val_strict"] = Round(e.ValStrictAccuracy), ["improved"] = e.Improved,
        }).ToArray());
        var stride = Math.Max(1, (checkpoint.Trace.Count + 299) / 300);
        training["loss_trace"] = new JsonArray(checkpoint.Trace.Where((_, i) => i % stride == 0 || i == checkpoint.Trace.Count - 1)
            .Select(s => (JsonNode?)new JsonArray(s.Step, s.Stage, Round(s.Loss))).ToArray());
        training["gate_scales"] = new JsonArray(recorder.Points.Select(p => (JsonNode?)new JsonObject
        {
            ["step"] = p.Step, ["stage"] = p.Stage, ["epoch"] = p.Epoch,
            ["criteria"] = p.CriteriaScale is { } c ? Round(c) : null, ["aspect"] = p.AspectScale is { } a ? Round(a) : null,
        }).ToArray());
    }

    static JsonNode? Round(double x) => double.IsFinite(x) ? JsonValue.Create(Math.Round(x, 6)) : null;

    Task<PrecomputedBackbone> StatesAsync(HeadCell cell)
    {
        var key = $"{cell.Seed}/{cell.Backbone.Key}";
        return states.GetOrAdd(key, _ => new Lazy<Task<PrecomputedBackbone>>(() =>
            backbones.OpenStatesAsync(cell.Seed, cell.Backbone))).Value;
    }

    Task<(TrainingData Train, TrainingData Val)> PreparedAsync(HeadCell cell, PrecomputedBackbone backbone)
    {
        var key = $"{cell.Seed}/{cell.Backbone.Key}/{cell.Family.Name()}";
        var family = data[cell.Family];
        return prepared.GetOrAdd(key, _ => new Lazy<Task<(TrainingData, TrainingData)>>(async () =>
            (await TrainingData.PrepareAsync(family.Train, backbone).ConfigureAwait(false),
             await TrainingData.PrepareAsync(family.Val, backbone).ConfigureAwait(false)))).Value;
    }

    public void Dispose()
    {
        foreach (var entry in prepared.Values.Where(v => v.IsValueCreated && v.Value.IsCompletedSuccessfully))
        {
            entry.Value.Result.Train.Dispose();
            entry.Value.Result.Val.Dispose();
        }
        foreach (var entry in states.Values.Where(v => v.IsValueCreated && v.Value.IsCompletedSuccessfully)) entry.Value.Result.Dispose();
    }
}
