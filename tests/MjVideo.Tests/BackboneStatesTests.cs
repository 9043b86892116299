using MjVideo.Backbones.Precomputed;
using System.Text.Json;
using MjVideo.Backbones;
using MjVideo.Backbones.Tiny;
using MjVideo.Data;
using MjVideo.Model;
using TorchSharp.PyBridge;
using static MjVideo.Tests.BackboneTestKit;
using static TorchSharp.torch;

namespace MjVideo.Tests;

public class BackboneStatesTests
{
    [Fact]
    public async Task Exported_states_read_back_as_gate_and_last_rows_per_video_id()
    {
        var dir = RepoPaths.NewTempDir("states");
        var red = EncodeVideo(dir, "red.mp4", MovingSquare(32, 8, (220, 40, 40)), 32);
        var blue = EncodeVideo(dir, "blue.mp4", MovingSquare(32, 8, (40, 60, 230)), 32);
        var green = EncodeVideo(dir, "green.mp4", MovingSquare(32, 8, (40, 200, 40)), 32);
        using var backbone = new TinyVideoTextBackbone(SmallTiny(seed: 3));
        VideoItem[] videos =
        [
            new("test/0_0.mp4", red, "a red square"),
            new("test/0_1.mp4", blue, "a red square"),
            new("test/1_0.mp4", green, "a green square moving right"),
            new("test/0_0.mp4", red, "a red square"), // the same video again: exported once
        ];
        var path = Path.Combine(dir, "out", "states.safetensors");
        backbone.Module.train();

        var export = await BackboneStates.ExportAsync(backbone, videos, path, batchSize: 2);

        Assert.Equal((3, 32, "tiny-v1-h32"), (export.Videos, export.HiddenSize, export.BackboneId));
        Assert.True(backbone.Module.training, "the export left the module in evaluation mode");
        var index = HeadWeights.ReadIndex(path);
        Assert.Equal(["test/0_0.mp4", "test/0_1.mp4", "test/1_0.mp4"], index.Keys.Order());
        Assert.All(index.Values, entry =>
        {
            Assert.Equal("F32", entry.DType);
            Assert.Equal([2L, 32], entry.Shape);
        });

        using var loaded = PrecomputedStates.Load([path]);
        using var stacked = loaded.Stack(videos.Take(3).Select(v => v.VideoId).ToList());
        // The export ran in batches of 2 with their own caption padding; one batch of 3 differs only by float rounding.
        using (var inputs = await backbone.PrepareAsync(videos.Take(3).ToArray()))
        using (no_grad())
        using (var output = backbone.Forward(inputs))
        {
            for (var i = 0; i < 3; i++)
            {
                var state = stacked[i];
                Assert.True(MaxAbsDifference(output.HGate[i], state[BackboneStates.GateRow]) < 1e-5, $"{videos[i].VideoId}: row 0 is not h_gate");
                Assert.True(MaxAbsDifference(output.HLast[i], state[BackboneStates.LastRow]) < 1e-5, $"{videos[i].VideoId}: row 1 is not h_last");
            }
            Assert.True(MaxAbsDifference(output.HGate[0], output.HLast[0]) > 0.1, "the two rows would be indistinguishable");
        }
        using var sidecar = JsonDocument.Parse(File.ReadAllText(path + ".json"));
        Assert.Equal("tiny-v1-h32", sidecar.RootElement.GetProperty("backbone").GetString());
        Assert.Equal(["h_gate", "h_last"], sidecar.RootElement.GetProperty("rows").EnumerateArray().Select(r => r.GetString()));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
    }

    [Fact]
    public async Task A_video_id_given_with_two_captions_is_refused()
    {
        using var backbone = new TinyVideoTextBackbone(SmallTiny());
        VideoItem[] videos = [new("test/0_0.mp4", "/data/a.mp4", "a red square"), new("test/0_0.mp4", "/data/a.mp4", "a blue square")];
        var error = await Assert.ThrowsAsync<ArgumentException>(() => BackboneStates.ExportAsync(backbone, videos, Path.Combine(RepoPaths.NewTempDir("states"), "s.safetensors")));
        Assert.Contains("'test/0_0.mp4'", error.Message);
        Assert.Contains("a blue square", error.Message);
    }

    [Fact]
    public void Reading_checks_dtype_shape_and_one_hidden_size_for_all()
    {
        var dir = RepoPaths.NewTempDir("states");
        string Write(string name, Dictionary<string, Tensor> entries)
        {
            var path = Path.Combine(dir, name);
            Safetensors.SaveStateDict(path, entries);
            return path;
        }
        var wrongShape = Write("shape.safetensors", new() { ["a.mp4"] = zeros(2, 8), ["b.mp4"] = zeros(3, 8) });
        var wrongType = Write("dtype.safetensors", new() { ["a.mp4"] = zeros([2, 8], ScalarType.Float16) });
        var mixed = Write("mixed.safetensors", new() { ["a.mp4"] = zeros(2, 8), ["b.mp4"] = zeros(2, 16) });

        var shape = Assert.Throws<InvalidDataException>(() => PrecomputedStates.Load([wrongShape])).Message;
        Assert.Contains(wrongShape, shape);
        Assert.Contains("'b.mp4' has shape [3, 8]", shape);
        Assert.Contains("'a.mp4' has dtype F16", Assert.Throws<InvalidDataException>(() => PrecomputedStates.Load([wrongType])).Message);
        Assert.Contains("H = 16", Assert.Throws<InvalidDataException>(() => PrecomputedStates.Load([mixed])).Message);
        Assert.Throws<FileNotFoundException>(() => PrecomputedStates.Load([Path.Combine(dir, "missing.safetensors")]));
    }

    [Fact]
    public void A_dataset_s_videos_are_keyed_by_the_path_the_file_writes()
    {
        var root = DataFixtures.VideosRootMissingOne();
        var dataset = ReleaseReader.Read(DataFixtures.Small, root);
        var videos = BackboneVideos.Of(dataset);

        Assert.Equal(2 * dataset.Pairs.Count, videos.Count);
        Assert.Equal("test/0_0.mp4", videos[0].VideoId);
        Assert.Equal("test/0_1.mp4", videos[1].VideoId);
        Assert.Equal(Path.Combine(root, "test", "0_0.mp4"), videos[0].Path);
        Assert.Equal(dataset.Pairs[0].Caption, videos[0].Caption);
        Assert.Equal(dataset.Pairs[0].Caption, videos[1].Caption);
    }
}
