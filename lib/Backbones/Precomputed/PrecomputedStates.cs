using MjVideo.Model;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace MjVideo.Backbones.Precomputed;

/// <summary>
/// Hidden states computed elsewhere (DESIGN 5): safetensors file(s) with one float32 entry of shape [2, H] per video id,
/// row 0 = h_gate, row 1 = h_last. A video's id is its path as the dataset file writes it (the release's
/// <c>video_0_path</c>, e.g. <c>test/12_0.mp4</c>); <c>tools/dump-mjvideo-states.md</c> explains how MJ-VIDEO-2B's states
/// are dumped in this format. Everything is checked when the files are read: names, dtypes, shapes, one H for all entries,
/// no id in two files, finite values. The states are kept in memory, on the CPU.
/// </summary>
public sealed class PrecomputedStates : IDisposable
{
    public const int GateRow = 0;
    public const int LastRow = 1;
    const string Float32 = "F32";

    readonly Dictionary<string, Tensor> entries;

    PrecomputedStates(Dictionary<string, Tensor> entries, int hiddenSize, IReadOnlyList<string> sources)
    {
        this.entries = entries;
        HiddenSize = hiddenSize;
        Sources = sources;
    }

    /// <summary>H, the size of each state.</summary>
    public int HiddenSize { get; }

    /// <summary>The files read (or "memory" for states built in code), for messages and results.</summary>
    public IReadOnlyList<string> Sources { get; }

    public int Count => entries.Count;

    public IEnumerable<string> Ids => entries.Keys;

    public bool Contains(string id) => entries.ContainsKey(id);

    /// <summary>Reads one or more states files (a large dump may be sharded); every problem found is reported at once.</summary>
    public static PrecomputedStates Load(IReadOnlyList<string> files)
    {
        if (files.Count == 0) throw new ArgumentException("no precomputed states file given");
        var problems = new List<string>();
        var foundIn = new Dictionary<string, string>();
        int? hiddenSize = null;
        string? hiddenSizeFrom = null;
        foreach (var file in files)
        {
            if (!File.Exists(file)) throw new FileNotFoundException($"precomputed states file not found: {file}", file);
            var index = HeadWeights.ReadIndex(file);
            if (index.Count == 0) problems.Add($"{file}: holds no entries");
            foreach (var (id, entry) in index)
            {
                if (foundIn.TryGetValue(id, out var earlier))
                {
                    problems.Add($"entry '{id}' appears in both {earlier} and {file}");
                    continue;
                }
                foundIn[id] = file;
                if (entry.DType != Float32)
                    problems.Add($"{file}: entry '{id}' has dtype {entry.DType}; states must be float32 ({Float32})");
                if (entry.Shape.Length != 2 || entry.Shape[0] != 2)
                {
                    problems.Add($"{file}: entry '{id}' has shape [{string.Join(", ", entry.Shape)}]; expected [2, H] (h_gate, h_last)");
                    continue;
                }
                if (hiddenSize is null)
                {
                    hiddenSize = checked((int)entry.Shape[1]);
                    hiddenSizeFrom = $"entry '{id}' in {file}";
                }
                else if (entry.Shape[1] != hiddenSize)
                    problems.Add($"{file}: entry '{id}' has H = {entry.Shape[1]}, but {hiddenSizeFrom} has H = {hiddenSize}");
            }
        }
        ThrowIfAny(problems, files);

        var loaded = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var file in files)
                foreach (var (id, value) in Safetensors.LoadStateDict(file))
                {
                    loaded[id] = value;
                    var problem = NonFiniteProblem(value);
                    if (problem is not null) problems.Add($"{file}: entry '{id}' {problem}");
                }
            ThrowIfAny(problems, files);
        }
        catch
        {
            foreach (var tensor in loaded.Values) tensor.Dispose();
            throw;
        }
        return new PrecomputedStates(loaded, hiddenSize!.Value, files.Select(Path.GetFullPath).ToList());
    }

    /// <summary>States built in code (tests, benchmarks, converters): copied and checked like a file's.</summary>
    public static PrecomputedStates FromTensors(IReadOnlyDictionary<string, Tensor> states, string source = "memory")
    {
        if (states.Count == 0) throw new ArgumentException($"{source}: no states given");
        var copies = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        int? hiddenSize = null;
        try
        {
            foreach (var (id, state) in states)
            {
                if (state.dim() != 2 || state.shape[0] != 2)
                    throw new ArgumentException($"{source}: state '{id}' has shape [{string.Join(", ", state.shape)}]; expected [2, H]");
                hiddenSize ??= checked((int)state.shape[1]);
                if (state.shape[1] != hiddenSize)
                    throw new ArgumentException($"{source}: state '{id}' has H = {state.shape[1]}, but others have H = {hiddenSize}");
                var copy = state.detach().to(float32).cpu().clone();
                copies[id] = copy;
                if (NonFiniteProblem(copy) is { } problem) throw new ArgumentException($"{source}: state '{id}' {problem}");
            }
        }
        catch
        {
            foreach (var tensor in copies.Values) tensor.Dispose();
            throw;
        }
        return new PrecomputedStates(copies, hiddenSize!.Value, [source]);
    }

    /// <summary>Writes states in the file format <see cref="Load"/> reads, via a temporary file and a rename.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> states)
    {
        using var checkedStates = FromTensors(states, path);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = full + ".tmp";
        try
        {
            Safetensors.SaveStateDict(temporary, checkedStates.entries.ToDictionary(e => e.Key, e => e.Value.contiguous()));
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>
    /// The states of <paramref name="ids"/>, stacked to [N, 2, H] (a new tensor). Throws <see cref="MissingStatesException"/>
    /// listing every id that has no entry.
    /// </summary>
    public Tensor Stack(IReadOnlyList<string> ids)
    {
        if (ids.Count == 0) throw new ArgumentException("no video ids given");
        var missing = ids.Where(id => !entries.ContainsKey(id)).Distinct().ToList();
        if (missing.Count > 0) throw new MissingStatesException(missing, ids.Count, Sources, entries.Keys.FirstOrDefault());
        return stack(ids.Select(id => entries[id]).ToArray());
    }

    static string? NonFiniteProblem(Tensor value)
    {
        using var scope = NewDisposeScope();
        var notFinite = (~isfinite(value)).sum().item<long>();
        return notFinite == 0 ? null : $"has {notFinite} NaN or infinite value(s) out of {value.numel()}";
    }

    static void ThrowIfAny(List<string> problems, IReadOnlyList<string> files)
    {
        if (problems.Count == 0) return;
        const int shown = 20;
        var listed = string.Join("; ", problems.Take(shown)) + (problems.Count > shown ? $"; ... and {problems.Count - shown} more" : "");
        throw new InvalidDataException($"cannot read precomputed states from {string.Join(", ", files)}: {listed}");
    }

    public void Dispose()
    {
        foreach (var tensor in entries.Values) tensor.Dispose();
        entries.Clear();
    }
}

/// <summary>Videos asked for that have no entry in the precomputed states; lists them all.</summary>
public sealed class MissingStatesException(IReadOnlyList<string> missingIds, int asked, IReadOnlyList<string> sources, string? exampleId)
    : KeyNotFoundException(Describe(missingIds, asked, sources, exampleId))
{
    public IReadOnlyList<string> MissingIds { get; } = missingIds;

    static string Describe(IReadOnlyList<string> missing, int asked, IReadOnlyList<string> sources, string? exampleId) =>
        $"the precomputed states ({string.Join(", ", sources)}) have no entry for {missing.Count} of the {asked} videos asked " +
        $"for: {string.Join(", ", missing.Select(m => $"'{m}'"))}. Entries are keyed by the video path as the dataset file " +
        $"writes it (video_0_path / video_1_path){(exampleId is null ? "" : $", e.g. '{exampleId}'")}.";
}
