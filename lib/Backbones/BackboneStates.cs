using MjVideo.Backbones.Precomputed;
using System.Diagnostics;
using System.Text.Json;
using MjVideo.Model;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace MjVideo.Backbones;

/// <summary>What <see cref="BackboneStates.ExportAsync"/> wrote.</summary>
public sealed record StatesExport(string Path, string BackboneId, int HiddenSize, int Videos, double Seconds);

/// <summary>
/// Frozen backbone outputs in the precomputed-states format of DESIGN 5: one safetensors file, one entry per video id,
/// each [2, H] float32 with row 0 = h_gate and row 1 = h_last. A trained backbone (either kind) is run once over a
/// dataset's videos, and then any number of heads (ablations, baselines) train on the file without touching a video.
/// A small JSON beside the file (<c>&lt;file&gt;.json</c>) records which backbone made it.
/// </summary>
public static class BackboneStates
{
    public const int GateRow = 0;
    public const int LastRow = 1;
    public const string Format = "mjvideo-states-v1";

    /// <summary>
    /// Runs <paramref name="backbone"/> in evaluation mode without gradients over the videos (each distinct id once, in
    /// batches of <paramref name="batchSize"/>) and writes the states file atomically.
    /// </summary>
    /// <exception cref="ArgumentException">an id is given twice with a different file or caption: its state would be
    /// ambiguous, since it depends on both</exception>
    public static async Task<StatesExport> ExportAsync(IBackbone backbone, IReadOnlyList<VideoItem> videos, string path,
        int batchSize = 64, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "the batch size must be positive");
        var distinct = Distinct(videos);
        if (distinct.Count == 0) throw new ArgumentException($"{path}: no videos to export");
        var watch = Stopwatch.StartNew();
        var states = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var wasTraining = backbone.Module.training;
        backbone.Module.eval();
        try
        {
            for (var start = 0; start < distinct.Count; start += batchSize)
            {
                var chunk = distinct.Skip(start).Take(batchSize).ToList();
                using var inputs = await backbone.PrepareAsync(chunk, cancellation).ConfigureAwait(false);
                using var noGrad = no_grad();
                using var output = backbone.Forward(inputs);
                using var rows = stack([output.HGate, output.HLast], 1).to(CPU).to_type(ScalarType.Float32);
                if (rows.shape[0] != chunk.Count || rows.shape[2] != backbone.HiddenSize)
                    throw new InvalidOperationException(
                        $"{backbone.Id} returned states [{string.Join(", ", rows.shape)}] for {chunk.Count} videos, expected [{chunk.Count}, 2, {backbone.HiddenSize}]");
                for (var j = 0; j < chunk.Count; j++)
                {
                    var state = rows[j].clone();
                    var notFinite = (~isfinite(state)).sum().item<long>();
                    if (notFinite > 0)
                    {
                        state.Dispose();
                        throw new InvalidOperationException($"{backbone.Id}: the state of video '{chunk[j].VideoId}' ({chunk[j].Path}) has {notFinite} NaN or infinite value(s)");
                    }
                    states[chunk[j].VideoId] = state;
                }
                progress?.Report(states.Count);
            }
            // One writer and one reader for the format: the precomputed backbone's.
            PrecomputedStates.Save(path, states);
            var export = new StatesExport(Path.GetFullPath(path), backbone.Id, backbone.HiddenSize, states.Count, watch.Elapsed.TotalSeconds);
            WriteSidecar(export);
            return export;
        }
        finally
        {
            if (wasTraining) backbone.Module.train();
            foreach (var state in states.Values) state.Dispose();
        }
    }

    static List<VideoItem> Distinct(IReadOnlyList<VideoItem> videos)
    {
        var byId = new Dictionary<string, VideoItem>(StringComparer.Ordinal);
        var ordered = new List<VideoItem>();
        foreach (var video in videos)
        {
            if (byId.TryGetValue(video.VideoId, out var earlier))
            {
                if (earlier.Caption != video.Caption || Path.GetFullPath(earlier.Path) != Path.GetFullPath(video.Path))
                    throw new ArgumentException(
                        $"video id '{video.VideoId}' is given twice, as {earlier.Path} with caption \"{earlier.Caption}\" and as {video.Path} with caption \"{video.Caption}\"");
                continue;
            }
            byId[video.VideoId] = video;
            ordered.Add(video);
        }
        return ordered;
    }

    static void WriteSidecar(StatesExport export)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new
        {
            format = Format,
            backbone = export.BackboneId,
            hidden_size = export.HiddenSize,
            rows = new[] { "h_gate", "h_last" },
            videos = export.Videos,
        }, new JsonSerializerOptions { WriteIndented = true });
        var sidecar = export.Path + ".json";
        var temporary = sidecar + ".tmp";
        File.WriteAllBytes(temporary, json);
        File.Move(temporary, sidecar, overwrite: true);
    }
}
