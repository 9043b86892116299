using System.Runtime.InteropServices;
using System.Text.Json;
using MjVideo.Backbones;
using MjVideo.Core;
using MjVideo.Model;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace MjVideo.Training;

/// <summary>
/// The checkpoint schema: its version is in <see cref="CheckpointInfo.Format"/> ("mjvideo-checkpoint/N"). Bump
/// <see cref="Current"/> whenever what a checkpoint holds changes, and say here what changed and whether older ones are
/// still read.
/// <list type="bullet">
/// <item>1: the first schema. It stored the absolute cache folder of the training machine and absolute paths of the
/// states files and data. Still read: the cache folder is ignored, the other paths are used as they are.</item>
/// <item>2: no absolute paths (caches resolve on the machine that reads the checkpoint; states files and data sources
/// are relative to the checkpoint folder), and the size of every file, so that a truncated copy is named.</item>
/// </list>
/// </summary>
public static class CheckpointSchema
{
    public const int Current = 2;
    public const int OldestRead = 1;
    const string Prefix = "mjvideo-checkpoint/";

    public static string Format(int version) => Prefix + version.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The version in a format string; null when the string is not a checkpoint format.</summary>
    public static int? VersionOf(string? format) =>
        format is not null && format.StartsWith(Prefix, StringComparison.Ordinal) && int.TryParse(format[Prefix.Length..], out var v) ? v : null;

    /// <summary>Refuses a checkpoint this build cannot read, saying which schema it has and what to do.</summary>
    public static int Check(string? format, string infoFile)
    {
        var version = VersionOf(format) ?? throw new InvalidDataException(
            $"{infoFile}: Format is '{format}', not a mjvideo checkpoint (expected '{Format(Current)}')");
        if (version > Current)
            throw new InvalidDataException($"{infoFile}: checkpoint schema {version} was written by a newer mjvideo; this build reads " +
                                           $"schemas {OldestRead} to {Current}. Update mjvideo to read it.");
        if (version < OldestRead)
            throw new InvalidDataException($"{infoFile}: checkpoint schema {version} is older than this build reads ({OldestRead} to " +
                                           $"{Current}). Retrain with mjvideo train, or read it with the mjvideo version that wrote it.");
        return version;
    }
}

/// <summary>
/// The facts about a checkpoint beyond its config: what judge and backbone it holds, where the run stands, which data it
/// was trained on, and which optional files are present.
/// </summary>
public sealed record CheckpointInfo
{
    public static readonly string CurrentFormat = CheckpointSchema.Format(CheckpointSchema.Current);

    /// <summary>"mjvideo-checkpoint/N", N the <see cref="CheckpointSchema"/> version.</summary>
    public string Format { get; init; } = CurrentFormat;
    public required string Judge { get; init; }
    /// <summary>The routing the head uses (e.g. input-aware; "uniform" for the no-gating baselines); null for videoscore.</summary>
    public string? Routing { get; init; }
    public required int HiddenSize { get; init; }
    public required string BackboneId { get; init; }
    public required BackboneSpec Backbone { get; init; }
    /// <summary>The capacity-matched adapter's width M (null for other judges).</summary>
    public int? AdapterWidth { get; init; }
    /// <summary>The head's trainable parameters in its last stage, and MJ-Video's for the same H and gating shape.</summary>
    public required long HeadTrainableParameters { get; init; }
    public required long MjVideoHeadTrainableParameters { get; init; }
    public required TrainingProgress Progress { get; init; }
    public required string TrainSource { get; init; }
    public required int TrainPairs { get; init; }
    public required string TrainFingerprint { get; init; }
    public required string ValSource { get; init; }
    public required int ValPairs { get; init; }
    public required string ValFingerprint { get; init; }
    /// <summary>Optimizer moments of the stage in progress (absent at stage boundaries, where a new optimizer starts).</summary>
    public bool HasOptimizerState { get; init; }
    /// <summary>The stage's best weights so far (absent at stage boundaries, where they are the current weights).</summary>
    public bool HasBestWeights { get; init; }
    /// <summary>Every other file of the checkpoint and its size in bytes (schema 2 on), so that a truncated copy is named.</summary>
    public IReadOnlyDictionary<string, long>? FileSizes { get; init; }
}

/// <summary>
/// A training checkpoint (DESIGN 10): a folder holding
/// <list type="bullet">
/// <item><c>checkpoint.json</c> (<see cref="CheckpointInfo"/>: judge, backbone spec, progress, data fingerprints),
/// <c>config.json</c> (<see cref="TrainConfig"/>), <c>history.json</c> (val per epoch), <c>loss-trace.json</c> (per step);</item>
/// <item><c>head.safetensors</c>: the MJ-Video head under the official names (<see cref="HeadWeights"/>), loadable by the
/// official code for the input-aware head; <c>backbone.safetensors</c>: the backbone module's state (absent when empty);
/// <c>extra.safetensors</c>: the adapter or dimension head;</item>
/// <item>to resume: <c>optimizer.bin</c> (TorchSharp's AdamW state: per-parameter step and both moments),
/// <c>best.safetensors</c> (the stage's best weights so far), <c>rng.bin</c> (torch's generator state).</item>
/// </list>
/// A checkpoint is written into a temporary folder which then replaces the old one, so a crash leaves the previous
/// checkpoint (or, between the two renames, a <c>.old</c> copy of it beside).
/// </summary>
public sealed class TrainingCheckpoint
{
    public const string InfoFile = "checkpoint.json";
    public const string ConfigFile = "config.json";
    public const string HistoryFile = "history.json";
    public const string TraceFile = "loss-trace.json";
    public const string HeadFile = "head.safetensors";
    public const string BackboneFile = "backbone.safetensors";
    public const string ExtraFile = "extra.safetensors";
    public const string OptimizerFile = "optimizer.bin";
    public const string BestFile = "best.safetensors";
    public const string RngFile = "rng.bin";

    TrainingCheckpoint(string directory, CheckpointInfo info, TrainConfig config, IReadOnlyList<EpochRecord> history, IReadOnlyList<StepRecord> trace)
    {
        Directory = directory;
        Info = info;
        Config = config;
        History = history;
        Trace = trace;
    }

    public string Directory { get; }
    public CheckpointInfo Info { get; }
    public TrainConfig Config { get; }
    public IReadOnlyList<EpochRecord> History { get; }
    public IReadOnlyList<StepRecord> Trace { get; }

    static JsonSerializerOptions Json => TrainConfig.JsonOptions;

    // ---- writing ----

    /// <summary>The state the trainer hands over to be written; null members are left out.</summary>
    internal sealed record State(CheckpointInfo Info, TrainConfig Config, RewardModel Model, IReadOnlyList<EpochRecord> History,
        IReadOnlyList<StepRecord> Trace, AdamW? Optimizer, IReadOnlyDictionary<string, Tensor>? Best);

    internal static void Write(string directory, State state)
    {
        var target = Path.GetFullPath(directory);
        WriteFolderAtomically(directory, folder =>
        {
            File.WriteAllText(Path.Combine(folder, ConfigFile), state.Config.ToJson());
            WriteJson(Path.Combine(folder, HistoryFile), state.History);
            WriteJson(Path.Combine(folder, TraceFile), state.Trace);
            WriteModel(folder, state.Model);
            state.Optimizer?.save_state_dict(Path.Combine(folder, OptimizerFile));
            if (state.Best is not null) SaveTensors(Path.Combine(folder, BestFile), state.Best);
            using var rng = get_rng_state();
            File.WriteAllBytes(Path.Combine(folder, RngFile), rng.bytes.ToArray());
            // Last, so that it can list the sizes of all the others.
            WriteJson(Path.Combine(folder, InfoFile), ForDisk(state.Info, target) with { FileSizes = SizesIn(folder) });
        });
    }

    /// <summary>The info as stored: no absolute path, so that the checkpoint can move to another folder or machine. Paths
    /// become relative to the checkpoint folder; the cache folder is not stored at all (<see cref="BackboneSpec.CacheDir"/>).</summary>
    static CheckpointInfo ForDisk(CheckpointInfo info, string checkpointFolder)
    {
        string Relative(string path) => Path.IsPathRooted(path) ? Path.GetRelativePath(checkpointFolder, path) : path;
        return info with
        {
            Format = CheckpointInfo.CurrentFormat,
            Backbone = info.Backbone with { StatesFiles = info.Backbone.StatesFiles.Select(Relative).ToList(), CacheDir = null },
            TrainSource = Relative(info.TrainSource),
            ValSource = Relative(info.ValSource),
        };
    }

    /// <summary>The info as used: states files resolved against the checkpoint folder (absolute ones, from schema 1, stay).</summary>
    static CheckpointInfo FromDisk(CheckpointInfo info, string checkpointFolder) => info with
    {
        Backbone = info.Backbone with
        {
            StatesFiles = info.Backbone.StatesFiles.Select(f => Path.GetFullPath(Path.Combine(checkpointFolder, f))).ToList(),
        },
    };

    static Dictionary<string, long> SizesIn(string folder) =>
        new DirectoryInfo(folder).GetFiles().Where(f => f.Name != InfoFile).OrderBy(f => f.Name, StringComparer.Ordinal)
            .ToDictionary(f => f.Name, f => f.Length);

    /// <summary>
    /// Makes a finished checkpoint from MJ-VIDEO-2B's own head weights (the official safetensors shards; the InternVL2
    /// backbone's "model.*" tensors are skipped) over a backbone of its hidden states, usually the precomputed one fed by
    /// tools/dump_mjvideo_states.py: the official heads then score here exactly, through <see cref="TrainedJudge"/> and
    /// <c>mjvideo score</c>. The config recorded is the official one (<see cref="TrainConfig.Paper"/>), with no history.
    /// </summary>
    public static HeadLoadReport ImportOfficialHead(string directory, IReadOnlyList<string> officialFiles, IBackbone backbone,
        BackboneSpec backboneSpec)
    {
        var config = TrainConfig.Paper();
        using var model = new RewardModel(config.Model, backbone, config.Seed);
        var report = HeadWeights.Load(model.Head!, officialFiles, HeadLoadOptions.OfficialCheckpoint);
        var h = backbone.HiddenSize;
        var source = $"imported from {string.Join(", ", officialFiles.Select(Path.GetFileName))}";
        var info = new CheckpointInfo
        {
            Judge = JudgeNames.Name(JudgeKind.MjVideo),
            Routing = JudgeNames.RoutingName(Routing.Paper),
            HiddenSize = h,
            BackboneId = backbone.Id,
            Backbone = backboneSpec,
            HeadTrainableParameters = model.TrainableCounts(TrainingStage.Overall).Head,
            MjVideoHeadTrainableParameters = CapacityMatching.MjVideoHeadTrainable(h, config.Model.GatingHiddenDim, config.Model.GatingHiddenLayers),
            Progress = new TrainingProgress { StageIndex = config.Stages.Count, Completed = true },
            TrainSource = source,
            TrainPairs = 0,
            TrainFingerprint = "",
            ValSource = source,
            ValPairs = 0,
            ValFingerprint = "",
        };
        Write(directory, new State(info, config, model, [], [], null, null));
        return report;
    }

    /// <summary>The model's current weights: the head under its official names, the backbone module, the adapter or
    /// dimension head.</summary>
    static void WriteModel(string folder, RewardModel model)
    {
        if (model.Head is not null) HeadWeights.Save(model.Head, Path.Combine(folder, HeadFile));
        var backboneState = StateOf(model.Backbone.Module);
        if (backboneState.Count > 0) SaveTensors(Path.Combine(folder, BackboneFile), backboneState);
        var extra = StateOf(model).Where(e => e.Key.StartsWith("adapter.") || e.Key.StartsWith("dimensions."))
            .ToDictionary(e => e.Key, e => e.Value);
        if (extra.Count > 0) SaveTensors(Path.Combine(folder, ExtraFile), extra);
    }

    /// <summary>Copies a checkpoint folder (e.g. a search's best candidate to the run's output), replacing the target
    /// atomically like a write.</summary>
    public static void Copy(string source, string destination)
    {
        var from = Path.GetFullPath(source);
        Read(from);
        WriteFolderAtomically(destination, folder =>
        {
            foreach (var file in System.IO.Directory.GetFiles(from))
                File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        });
    }

    static void WriteFolderAtomically(string directory, Action<string> write)
    {
        var target = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(target) ?? throw new ArgumentException($"checkpoint folder {directory} has no parent folder");
        System.IO.Directory.CreateDirectory(parent);
        var name = Path.GetFileName(target);
        var temporary = Path.Combine(parent, $".{name}.tmp-{Guid.NewGuid():N}");
        var old = Path.Combine(parent, $".{name}.old-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(temporary);
        try
        {
            write(temporary);
            if (System.IO.Directory.Exists(target))
            {
                System.IO.Directory.Move(target, old);
                System.IO.Directory.Move(temporary, target);
                System.IO.Directory.Delete(old, recursive: true);
            }
            else
            {
                System.IO.Directory.Move(temporary, target);
            }
        }
        finally
        {
            if (System.IO.Directory.Exists(temporary)) System.IO.Directory.Delete(temporary, recursive: true);
        }
    }

    static void WriteJson<T>(string path, T value) => File.WriteAllText(path, JsonSerializer.Serialize(value, Json));

    internal static Dictionary<string, Tensor> StateOf(nn.Module module) =>
        module.state_dict().ToDictionary(e => e.Key, e => e.Value);

    static void SaveTensors(string path, IReadOnlyDictionary<string, Tensor> tensors)
    {
        using var scope = NewDisposeScope();
        Safetensors.SaveStateDict(path, tensors.ToDictionary(e => e.Key, e => e.Value.detach().cpu().contiguous()));
    }

    // ---- reading ----

    /// <summary>Reads a checkpoint's description, config, history and trace (weights are read by <see cref="CreateModel"/>).</summary>
    public static TrainingCheckpoint Read(string directory)
    {
        var folder = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(folder))
            throw CheckpointFolders.Interrupted(folder) is [var copy, ..]
                ? new DirectoryNotFoundException($"checkpoint folder {folder} does not exist, but an interrupted write left a complete " +
                                                 $"copy at {copy}; mjvideo train --resume --out {directory} restores it and continues")
                : new DirectoryNotFoundException($"checkpoint folder {folder} does not exist");
        var infoPath = Path.Combine(folder, InfoFile);
        // The version first: a checkpoint of another schema may not even deserialize into this build's CheckpointInfo.
        CheckpointSchema.Check(FormatIn(infoPath), infoPath);
        var info = FromDisk(ReadJson<CheckpointInfo>(infoPath), folder);
        var configPath = Path.Combine(folder, ConfigFile);
        var config = TrainConfig.FromJson(ReadText(configPath), configPath);
        var history = ReadJson<List<EpochRecord>>(Path.Combine(folder, HistoryFile));
        var trace = ReadJson<List<StepRecord>>(Path.Combine(folder, TraceFile));
        return new TrainingCheckpoint(folder, info, config, history, trace);
    }

    /// <summary>Builds the checkpoint's judge on <paramref name="backbone"/> (which must be the one it was trained on) and
    /// loads its current weights: for a finished run, the selected ones.</summary>
    public RewardModel CreateModel(IBackbone backbone)
    {
        if (backbone.HiddenSize != Info.HiddenSize)
            throw new InvalidDataException(
                $"{Directory}: trained on a backbone with H = {Info.HiddenSize} ({Info.BackboneId}), given {backbone.Id} with H = {backbone.HiddenSize}");
        if (backbone.Id != Info.BackboneId)
            throw new InvalidDataException($"{Directory}: trained on backbone {Info.BackboneId}, given {backbone.Id}");
        var model = new RewardModel(Config.Model, backbone, Config.Seed);
        try
        {
            if (model.Head is not null) Loading(HeadFile, path => HeadWeights.Load(model.Head, path));
            Loading(BackboneFile, path => LoadInto(backbone.Module, path, prefix: ""));
            var extra = StateOf(model).Where(e => e.Key.StartsWith("adapter.") || e.Key.StartsWith("dimensions."))
                .ToDictionary(e => e.Key, e => e.Value);
            Loading(ExtraFile, path => LoadInto(extra, path));
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return model;
    }

    internal void LoadOptimizer(AdamW optimizer)
    {
        var path = Path.Combine(Directory, OptimizerFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{Directory}: the optimizer state {OptimizerFile} is missing", path);
        Loading(OptimizerFile, optimizer.load_state_dict);
    }

    /// <summary>The stage's best weights so far, by state-dict name (the caller owns the tensors).</summary>
    internal Dictionary<string, Tensor> ReadBest()
    {
        var path = Path.Combine(Directory, BestFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{Directory}: the best-so-far weights {BestFile} are missing", path);
        Dictionary<string, Tensor> best = null!;
        Loading(BestFile, p => best = Safetensors.LoadStateDict(p));
        return best;
    }

    /// <summary>
    /// Reads one of the checkpoint's files with <paramref name="read"/>, first checking its size against the one recorded
    /// when it was written. A truncated or damaged file is named with its expected and actual size and the fix, instead of
    /// a bare "Attempted to read past the end of the stream".
    /// </summary>
    void Loading(string file, Action<string> read)
    {
        var path = Path.Combine(Directory, file);
        var actual = File.Exists(path) ? new FileInfo(path).Length : (long?)null;
        const string fix = "restore the checkpoint folder from where it was copied, or retrain with mjvideo train";
        if (actual is { } size && Info.FileSizes is { } sizes && sizes.TryGetValue(file, out var expected) && size != expected)
            throw new FileProblemException(path, $"{path} is {size} bytes, but the checkpoint recorded {expected} bytes when it was " +
                                                 $"written: the file is {(size < expected ? "truncated" : "damaged")} (an interrupted copy?); {fix}");
        try
        {
            read(path);
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or ArgumentException or ExternalException
                                      && e is not FileNotFoundException and not FileProblemException)
        {
            var recorded = Info.FileSizes?.TryGetValue(file, out var recordedSize) == true ? $"{recordedSize} bytes" : "unknown (schema 1 records no sizes)";
            throw new FileProblemException(path, $"{path} could not be read ({e.Message}); it is {actual} bytes, expected {recorded}: " +
                                                 $"the file is damaged or truncated; {fix}", e);
        }
    }

    internal void RestoreRandomState()
    {
        var path = Path.Combine(Directory, RngFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{Directory}: the random state {RngFile} is missing", path);
        using var state = tensor(File.ReadAllBytes(path), ScalarType.Byte);
        set_rng_state(state);
    }

    static void LoadInto(nn.Module module, string path, string prefix) =>
        LoadInto(StateOf(module).ToDictionary(e => prefix + e.Key, e => e.Value), path);

    /// <summary>Copies a safetensors file into existing tensors after checking that names and shapes match exactly; an
    /// empty target expects no file.</summary>
    static void LoadInto(IReadOnlyDictionary<string, Tensor> targets, string path)
    {
        if (targets.Count == 0)
        {
            if (File.Exists(path)) throw new InvalidDataException($"{path}: this model has nothing to load from it, but it exists");
            return;
        }
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} is missing; the model needs {string.Join(", ", targets.Keys)}", path);
        var loaded = Safetensors.LoadStateDict(path);
        try
        {
            CopyState(loaded, targets, path);
        }
        finally
        {
            foreach (var t in loaded.Values) t.Dispose();
        }
    }

    /// <summary>Copies <paramref name="source"/> into <paramref name="targets"/>; names must match exactly and shapes too.</summary>
    internal static void CopyState(IReadOnlyDictionary<string, Tensor> source, IReadOnlyDictionary<string, Tensor> targets, string where)
    {
        var problems = new List<string>();
        var missing = targets.Keys.Where(k => !source.ContainsKey(k)).ToList();
        var unexpected = source.Keys.Where(k => !targets.ContainsKey(k)).ToList();
        if (missing.Count > 0) problems.Add($"missing: {string.Join(", ", missing)}");
        if (unexpected.Count > 0) problems.Add($"unexpected: {string.Join(", ", unexpected)}");
        foreach (var (name, target) in targets)
            if (source.TryGetValue(name, out var value) && !value.shape.SequenceEqual(target.shape))
                problems.Add($"'{name}' is [{string.Join(", ", value.shape)}], the model needs [{string.Join(", ", target.shape)}]");
        if (problems.Count > 0) throw new InvalidDataException($"{where}: {string.Join("; ", problems)}");
        using var noGrad = no_grad();
        foreach (var (name, target) in targets) target.copy_(source[name]);
    }

    static string ReadText(string path) =>
        File.Exists(path) ? File.ReadAllText(path) : throw new FileNotFoundException($"checkpoint file {path} is missing", path);

    static string? FormatIn(string path)
    {
        try
        {
            return System.Text.Json.Nodes.JsonNode.Parse(ReadText(path))?["Format"]?.GetValue<string>();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: not valid checkpoint JSON ({e.Message})", e);
        }
    }

    static T ReadJson<T>(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(ReadText(path), Json) ?? throw new InvalidDataException($"{path}: the file holds null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid checkpoint JSON ({e.Message})", e);
        }
    }
}
