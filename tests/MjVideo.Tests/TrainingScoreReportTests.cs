using System.Text.Json;
using MjVideo.Backbones;
using MjVideo.Backbones.Precomputed;
using MjVideo.Taxonomy;
using MjVideo.Training;
using static MjVideo.Tests.TrainingTestKit;
using static TorchSharp.torch;

namespace MjVideo.Tests;

/// <summary>The logic behind <c>mjvideo score</c>: a checkpoint found through its saved backbone spec, and the JSON keys.</summary>
public class TrainingScoreReportTests
{
    /// <summary>Trains a small judge on the synthetic task over a states file, so that the checkpoint names a real,
    /// registered backbone; returns the checkpoint folder.</summary>
    static string TrainedCheckpoint(JudgeKind judge)
    {
        var folder = RepoPaths.NewTempDir("score");
        var task = new SyntheticTask(8, seed: 1);
        var states = new Dictionary<string, float[]>();
        var train = task.Split("train", 16, 2, states);
        var val = task.Split("val", 8, 3, states);
        var statesFile = Path.Combine(folder, "states.safetensors");
        var tensors = states.ToDictionary(s => s.Key, s => tensor(s.Value.Concat(s.Value).ToArray()).reshape(2, 8));
        PrecomputedStates.Save(statesFile, tensors);
        foreach (var t in tensors.Values) t.Dispose();

        var spec = new BackboneSpec { Name = "precomputed", StatesFiles = [statesFile] };
        using var backbone = BackboneFactory.Create(spec);
        using var trainData = TrainingData.PrepareAsync(train, backbone).GetAwaiter().GetResult();
        using var valData = TrainingData.PrepareAsync(val, backbone).GetAwaiter().GetResult();
        var config = Config(SmallModel(judge));
        using var model = new RewardModel(config.Model, backbone, config.Seed);
        var checkpoint = Path.Combine(folder, "checkpoint");
        new StagedTrainer(config).Train(model, spec, trainData, valData, checkpoint);
        return checkpoint;
    }

    [Fact]
    public async Task Two_videos_give_every_documented_key_and_the_preference()
    {
        var checkpoint = TrainedCheckpoint(JudgeKind.MjVideo);
        var (report, videos) = await ScoreReport.ScoreAsync(checkpoint, "a caption", ["val/0_0.mp4", "val/0_1.mp4"]);
        using var json = JsonDocument.Parse(ScoreReport.ToJson(report));
        var root = json.RootElement;

        Assert.Equal(["model", "judge", "routing", "backbone", "caption", "videos", "preference", "margin"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("mjvideo", root.GetProperty("judge").GetString());
        Assert.Equal("input-aware", root.GetProperty("routing").GetString());
        Assert.Equal("precomputed-H8", root.GetProperty("backbone").GetString());
        Assert.Equal("a caption", root.GetProperty("caption").GetString());

        var both = root.GetProperty("videos").EnumerateArray().ToList();
        Assert.Equal(2, both.Count);
        var aspectNames = MjTaxonomy.Aspects.Select(a => a.DisplayName).ToList();
        foreach (var video in both)
        {
            Assert.Equal(["video", "score", "criteria", "aspect_scores", "criteria_weights", "aspect_weights", "dimensions"],
                video.EnumerateObject().Select(p => p.Name));
            Assert.Equal(MjTaxonomy.CriterionKeys, video.GetProperty("criteria").EnumerateObject().Select(p => p.Name));
            Assert.Equal(MjTaxonomy.CriterionKeys, video.GetProperty("criteria_weights").EnumerateObject().Select(p => p.Name));
            Assert.Equal(aspectNames, video.GetProperty("aspect_scores").EnumerateObject().Select(p => p.Name));
            Assert.Equal(aspectNames, video.GetProperty("aspect_weights").EnumerateObject().Select(p => p.Name));
            Assert.Equal(JsonValueKind.Null, video.GetProperty("dimensions").ValueKind);
            // Within each aspect the criteria weights sum to the same lambda_crit (at most 1); the aspect weights to lambda_asp.
            var w = video.GetProperty("criteria_weights").EnumerateObject().Select(p => p.Value.GetDouble()).ToArray();
            var sums = MjTaxonomy.AspectToCriteria.Select(g => g.Sum(c => w[c])).ToList();
            Assert.All(sums, s => Assert.InRange(s, sums[0] - 1e-5, sums[0] + 1e-5));
            Assert.InRange(sums[0], 0, 1 + 1e-6);
            Assert.InRange(video.GetProperty("aspect_weights").EnumerateObject().Sum(p => p.Value.GetDouble()), 0, 1 + 1e-6);
        }
        Assert.Equal("val/0_0.mp4", both[0].GetProperty("video").GetString());
        var (s0, s1) = (both[0].GetProperty("score").GetDouble(), both[1].GetProperty("score").GetDouble());
        Assert.Equal((videos[0].Score, videos[1].Score), (s0, s1));
        Assert.Equal(s0 > s1 ? "Video 1 better" : "Video 2 better", root.GetProperty("preference").GetString());
        Assert.Equal(s0 - s1, root.GetProperty("margin").GetDouble(), 12);
        // The score is the aspect-weighted sum of the aspect scores.
        var aspects = both[0].GetProperty("aspect_scores").EnumerateObject().Select(p => p.Value.GetDouble()).ToArray();
        var gates = both[0].GetProperty("aspect_weights").EnumerateObject().Select(p => p.Value.GetDouble()).ToArray();
        Assert.Equal(s0, aspects.Zip(gates, (a, g) => a * g).Sum(), 5);
    }

    [Fact]
    public async Task One_video_of_a_single_head_judge_has_only_a_score()
    {
        var checkpoint = TrainedCheckpoint(JudgeKind.BtSingle);
        var (report, _) = await ScoreReport.ScoreAsync(checkpoint, "a caption", ["val/1_0.mp4"]);
        using var json = JsonDocument.Parse(ScoreReport.ToJson(report));
        var root = json.RootElement;
        Assert.Equal("single", root.GetProperty("routing").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("preference").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("margin").ValueKind);
        var video = root.GetProperty("videos")[0];
        Assert.Equal(JsonValueKind.Number, video.GetProperty("score").ValueKind);
        foreach (var key in new[] { "criteria", "aspect_scores", "criteria_weights", "aspect_weights", "dimensions" })
            Assert.Equal(JsonValueKind.Null, video.GetProperty(key).ValueKind);

        var missing = await Assert.ThrowsAsync<MissingStatesException>(() => ScoreReport.ScoreAsync(checkpoint, "c", ["nowhere.mp4"]));
        Assert.Equal(["nowhere.mp4"], missing.MissingIds);
    }

    [Fact]
    public async Task Official_head_weights_import_as_a_finished_checkpoint_that_scores_like_the_head()
    {
        var folder = RepoPaths.NewTempDir("import");
        var statesFile = Path.Combine(folder, "states.safetensors");
        using (var state = tensor(new float[] { 1, -2, 3, 0.5f, 0, 1, -1, 2, 0.25f, 1, 1, -3, 2, 0, 1, -0.5f }).reshape(2, 8))
            PrecomputedStates.Save(statesFile, new Dictionary<string, Tensor> { ["test/0_0.mp4"] = state });

        // An "official" checkpoint shard: the head under the official names beside a backbone tensor under "model.".
        using var head = new Model.MjVideoHead(Model.MjVideoHeadConfig.Paper(8), seed: 5);
        var shard = Path.Combine(folder, "model-00001-of-00002.safetensors");
        var tensors = head.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().contiguous());
        tensors["model.language_model.norm.weight"] = ones(4);
        TorchSharp.PyBridge.Safetensors.SaveStateDict(shard, tensors);

        var spec = new BackboneSpec { Name = "precomputed", StatesFiles = [statesFile] };
        var checkpoint = Path.Combine(folder, "imported");
        using (var backbone = BackboneFactory.Create(spec))
        {
            var report = TrainingCheckpoint.ImportOfficialHead(checkpoint, [shard], backbone, spec);
            Assert.Equal(1, report.Skipped);
        }

        var (json, videos) = await ScoreReport.ScoreAsync(checkpoint, "c", ["test/0_0.mp4"]);
        using var gate = tensor(new float[] { 1, -2, 3, 0.5f, 0, 1, -1, 2 }).reshape(1, 8);
        using var last = tensor(new float[] { 0.25f, 1, 1, -3, 2, 0, 1, -0.5f }).reshape(1, 8);
        using var expected = head.forward(gate, last);
        Assert.Equal(ModelTestKit.Scalar(expected.Score), videos[0].Score);
        Assert.Equal(ModelTestKit.Values(expected.Criteria!).Select(v => (double)v), videos[0].Criteria!);
        Assert.Equal("mjvideo", json["judge"]!.GetValue<string>());
        Assert.True(TrainingCheckpoint.Read(checkpoint).Info.Progress.Completed);
    }

    [Fact]
    public void Preference_names_the_higher_score_and_equal_scores_are_same()
    {
        Assert.Equal("Video 1 better", ScoreReport.Preference(0.5, -0.25));
        Assert.Equal("Video 2 better", ScoreReport.Preference(-1, 2));
        Assert.Equal("Same", ScoreReport.Preference(0.125, 0.125));
    }
}
