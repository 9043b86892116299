using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace MjVideo.Model;

/// <summary>Which names in a safetensors file may be skipped when loading a head.</summary>
public sealed record HeadLoadOptions
{
    /// <summary>Key prefixes that are not the head's and are skipped silently (anything else unexpected is an error).</summary>
    public IReadOnlyList<string> IgnoredPrefixes { get; init; } = [];

    /// <summary>Every key in the files must be one of the head's.</summary>
    public static HeadLoadOptions Strict { get; } = new();

    /// <summary>A full MJ-VIDEO-2B checkpoint: the heads sit at the top level beside the InternVL2 backbone, whose keys
    /// all start with "model." (InternVLChatRewardModeling.model).</summary>
    public static HeadLoadOptions OfficialCheckpoint { get; } = new() { IgnoredPrefixes = ["model."] };
}

/// <summary>What a load did: the names loaded, how many keys were skipped by prefix, and remarks worth printing.</summary>
public sealed record HeadLoadReport(IReadOnlyList<string> Loaded, int Skipped, IReadOnlyList<string> Notes);

/// <summary>One entry of a safetensors header.</summary>
public sealed record SafetensorsEntryInfo(string DType, long[] Shape);

/// <summary>
/// Saves and loads an <see cref="MjVideoHead"/> as safetensors under the official parameter names and shapes
/// (paper-digest 2.2.1), through TorchSharp.PyBridge. Loading checks every name, shape and dtype first and reports all
/// problems at once; the head is changed only when everything matches.
/// </summary>
public static class HeadWeights
{
    static readonly HashSet<string> FloatDTypes = ["F64", "F32", "F16", "BF16"];

    /// <summary>Writes the head's parameters (official names) to <paramref name="path"/>, via a temporary file and a rename
    /// so that an existing file is never left half-written.</summary>
    public static void Save(MjVideoHead head, string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        using var scope = NewDisposeScope();
        var state = head.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().contiguous());
        try
        {
            Safetensors.SaveStateDict(temporary, state);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    public static HeadLoadReport Load(MjVideoHead head, string path, HeadLoadOptions? options = null) => Load(head, [path], options);

    /// <summary>Loads the head's parameters from one or more safetensors files (a sharded checkpoint is several).</summary>
    public static HeadLoadReport Load(MjVideoHead head, IReadOnlyList<string> files, HeadLoadOptions? options = null)
    {
        options ??= HeadLoadOptions.Strict;
        if (files.Count == 0) throw new ArgumentException("no safetensors file given");
        var parameters = head.named_parameters().ToDictionary(p => p.name, p => p.parameter);

        // 1. Names, shapes and dtypes from the headers alone (a full checkpoint's backbone is never read).
        var foundIn = new Dictionary<string, (string File, SafetensorsEntryInfo Entry)>();
        var unexpected = new List<string>();
        var problems = new List<string>();
        var skipped = 0;
        foreach (var file in files)
        {
            foreach (var (name, entry) in ReadIndex(file))
            {
                if (foundIn.TryGetValue(name, out var earlier))
                {
                    problems.Add($"'{name}' appears in both {earlier.File} and {file}");
                    continue;
                }
                if (!parameters.ContainsKey(name))
                {
                    if (options.IgnoredPrefixes.Any(name.StartsWith)) skipped++;
                    else unexpected.Add(name);
                    continue;
                }
                foundIn[name] = (file, entry);
            }
        }
        var missing = parameters.Keys.Where(n => !foundIn.ContainsKey(n)).ToList();
        if (missing.Count > 0) problems.Add($"missing: {string.Join(", ", missing)}");
        if (unexpected.Count > 0) problems.Add($"unexpected: {string.Join(", ", unexpected)}");
        foreach (var (name, (file, entry)) in foundIn)
        {
            var needed = parameters[name].shape;
            if (!entry.Shape.SequenceEqual(needed))
                problems.Add($"wrong shape: '{name}' is [{string.Join(", ", entry.Shape)}] in {file}, the head needs [{string.Join(", ", needed)}]");
            if (!FloatDTypes.Contains(entry.DType))
                problems.Add($"wrong dtype: '{name}' is {entry.DType} in {file}, the head needs a floating-point type");
        }
        ThrowIfAny(problems, head, files);

        // 2. Read the head's tensors, check them, and only then copy them in.
        using var scope = NewDisposeScope();
        var loaded = new Dictionary<string, Tensor>();
        foreach (var group in foundIn.GroupBy(kv => kv.Value.File))
        {
            foreach (var (name, value) in Safetensors.LoadStateDict(group.Key, keysToKeep: group.Select(kv => kv.Key).ToList()))
            {
                loaded[name] = value;
                var notFinite = (~isfinite(value)).sum().item<long>();
                if (notFinite > 0) problems.Add($"'{name}' in {group.Key} has {notFinite} NaN or infinite value(s)");
            }
        }
        ThrowIfAny(problems, head, files);
        using (no_grad())
        {
            foreach (var (name, value) in loaded)
                parameters[name].copy_(value);
        }

        var notes = new List<string>();
        foreach (var (name, parameter) in parameters.Where(p => p.Key.EndsWith("logit_scale")))
        {
            var lambda = parameter.detach().cpu().item<float>();
            if (lambda > 1)
                notes.Add($"{name} = {lambda} > 1: the forward clamps the gate scale to 1 (Gate.Scale), so outputs differ from the official code's");
        }
        return new HeadLoadReport(loaded.Keys.OrderBy(n => n, StringComparer.Ordinal).ToList(), skipped, notes);
    }

    static void ThrowIfAny(List<string> problems, MjVideoHead head, IReadOnlyList<string> files)
    {
        if (problems.Count == 0) return;
        var config = head.Config;
        throw new InvalidDataException(
            $"cannot load {string.Join(", ", files)} into a {config.Routing} head (H = {config.HiddenSize}, gating " +
            $"{config.GatingHiddenLayers} x {config.GatingHiddenDim}): {string.Join("; ", problems)}");
    }

    /// <summary>The tensors a safetensors file holds (name -> dtype and shape), read from its header only.</summary>
    public static IReadOnlyDictionary<string, SafetensorsEntryInfo> ReadIndex(string path)
    {
        using var stream = File.OpenRead(path);
        var lengthBytes = new byte[8];
        if (stream.Read(lengthBytes, 0, 8) != 8)
            throw new InvalidDataException($"{path}: too short for a safetensors file ({stream.Length} bytes)");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength == 0 || headerLength > (ulong)(stream.Length - 8) || headerLength > int.MaxValue)
            throw new InvalidDataException($"{path}: header length {headerLength} does not fit the file ({stream.Length} bytes); not a safetensors file?");
        var header = new byte[headerLength];
        stream.ReadExactly(header);

        var entries = new Dictionary<string, SafetensorsEntryInfo>();
        try
        {
            using var json = JsonDocument.Parse(Encoding.UTF8.GetString(header));
            foreach (var property in json.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__") continue;
                var dtype = property.Value.GetProperty("dtype").GetString()!;
                var shape = property.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                entries[property.Name] = new SafetensorsEntryInfo(dtype, shape);
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: malformed safetensors header ({e.Message})", e);
        }
        return entries;
    }
}
