using MjVideo.Backbones;
using MjVideo.Backbones.Precomputed;
using TorchSharp.PyBridge;
using static MjVideo.Tests.ModelTestKit;
using static TorchSharp.torch;

namespace MjVideo.Tests;

/// <summary>The precomputed-states backbone: the file format, its checks, the lookups, and the backbone factory.</summary>
public class TrainingPrecomputedTests
{
    /// <summary>[2, 3] states with row 0 = base + [0, 1, 2] (h_gate) and row 1 = base + [10, 11, 12] (h_last).</summary>
    static Tensor State(float value) => tensor(new[] { value, value + 1, value + 2, value + 10, value + 11, value + 12 }).reshape(2, 3);

    static string WriteStates(string folder, string name, params (string Id, float Base)[] entries)
    {
        var path = Path.Combine(folder, name);
        var states = entries.ToDictionary(e => e.Id, e => State(e.Base));
        PrecomputedStates.Save(path, states);
        foreach (var t in states.Values) t.Dispose();
        return path;
    }

    [Fact]
    public async Task Sharded_states_load_and_the_backbone_returns_gate_and_last_rows_in_the_order_asked()
    {
        var folder = RepoPaths.NewTempDir("states");
        var first = WriteStates(folder, "part-1.safetensors", ("test/0_0.mp4", 100), ("test/0_1.mp4", 200));
        var second = WriteStates(folder, "part-2.safetensors", ("test/1_0.mp4", 300));
        using var backbone = PrecomputedBackbone.Create(new BackboneSpec { Name = "precomputed", StatesFiles = [first, second] });
        Assert.Equal(3, backbone.HiddenSize);
        Assert.Equal(3, backbone.States.Count);
        Assert.Equal("precomputed-H3", backbone.Id);

        var videos = new[] { "test/1_0.mp4", "test/0_0.mp4" }.Select(id => new VideoItem(id, id, "a caption")).ToList();
        using var inputs = await backbone.PrepareAsync(videos);
        using var output = backbone.Forward(inputs);
        Assert.Equal([300f, 301, 302, 100, 101, 102], Values(output.HGate));
        Assert.Equal([310f, 311, 312, 110, 111, 112], Values(output.HLast));
        Assert.NotEqual(output.HGate.Handle, output.HLast.Handle);

        using var selected = inputs.Select([1]);
        using var selectedOutput = backbone.Forward(selected);
        Assert.Equal([110f, 111, 112], Values(selectedOutput.HLast));
    }

    [Fact]
    public async Task Missing_ids_are_all_listed()
    {
        var folder = RepoPaths.NewTempDir("missing");
        var file = WriteStates(folder, "states.safetensors", ("test/0_0.mp4", 1));
        using var backbone = PrecomputedBackbone.Create(new BackboneSpec { Name = "precomputed", StatesFiles = [file] });
        var videos = new[] { "test/0_0.mp4", "test/9_0.mp4", "test/9_1.mp4" }.Select(id => new VideoItem(id, id, "c")).ToList();
        var e = await Assert.ThrowsAsync<MissingStatesException>(() => backbone.PrepareAsync(videos));
        Assert.Equal(["test/9_0.mp4", "test/9_1.mp4"], e.MissingIds);
        Assert.Contains("2 of the 3 videos", e.Message);
        Assert.Contains("'test/9_1.mp4'", e.Message);
        Assert.Contains(file, e.Message);
        Assert.Contains("e.g. 'test/0_0.mp4'", e.Message);
    }

    [Fact]
    public void Bad_files_are_reported_with_the_file_the_entry_and_the_value_found()
    {
        var folder = RepoPaths.NewTempDir("bad-states");
        string Raw(string name, Dictionary<string, Tensor> entries)
        {
            var path = Path.Combine(folder, name);
            Safetensors.SaveStateDict(path, entries);
            return path;
        }
        var halfPrecision = Raw("half.safetensors", new() { ["v/a.mp4"] = zeros(2, 3, dtype: float16) });
        var threeRows = Raw("rows.safetensors", new() { ["v/b.mp4"] = zeros(3, 3) });
        var twoSizes = Raw("sizes.safetensors", new() { ["v/c.mp4"] = zeros(2, 3), ["v/d.mp4"] = zeros(2, 4) });
        var notFinite = Raw("nan.safetensors", new() { ["v/e.mp4"] = tensor(new[] { 0f, float.NaN, 0, 0, float.PositiveInfinity, 0 }).reshape(2, 3) });
        var duplicate = Raw("dup.safetensors", new() { ["v/c.mp4"] = zeros(2, 3) });

        var e = Assert.Throws<InvalidDataException>(() => PrecomputedStates.Load([halfPrecision]));
        Assert.Contains($"{halfPrecision}: entry 'v/a.mp4' has dtype F16", e.Message);
        e = Assert.Throws<InvalidDataException>(() => PrecomputedStates.Load([threeRows]));
        Assert.Contains($"{threeRows}: entry 'v/b.mp4' has shape [3, 3]; expected [2, H]", e.Message);
        e = Assert.Throws<InvalidDataException>(() => PrecomputedStates.Load([twoSizes]));
        Assert.Contains("has H = 4, but entry 'v/c.mp4'", e.Message);
        e = Assert.Throws<InvalidDataException>(() => PrecomputedStates.Load([notFinite]));
        Assert.Contains($"{notFinite}: entry 'v/e.mp4' has 2 NaN or infinite value(s) out of 6", e.Message);
        e = Assert.Throws<InvalidDataException>(() => PrecomputedStates.Load([Raw("ok.safetensors", new() { ["v/c.mp4"] = zeros(2, 3) }), duplicate]));
        Assert.Contains($"entry 'v/c.mp4' appears in both", e.Message);
        Assert.Contains(duplicate, e.Message);
        Assert.Throws<FileNotFoundException>(() => PrecomputedStates.Load([Path.Combine(folder, "absent.safetensors")]));
    }

    [Fact]
    public void The_backbone_trains_nothing()
    {
        var file = WriteStates(RepoPaths.NewTempDir("nothing"), "s.safetensors", ("a", 1));
        using var backbone = PrecomputedBackbone.Create(new BackboneSpec { Name = "precomputed", StatesFiles = [file] });
        Assert.Empty(backbone.Module.parameters());
        Assert.Empty(backbone.Module.state_dict());
        foreach (var stage in new[] { 1, 2, 3 }) Assert.Empty(backbone.ParametersTrainedIn(stage));
        Assert.Throws<ArgumentOutOfRangeException>(() => backbone.ParametersTrainedIn(4).ToList());
    }

    [Fact]
    public void The_factory_builds_registered_backbones_and_says_which_are_not_in_this_build()
    {
        var file = WriteStates(RepoPaths.NewTempDir("factory"), "s.safetensors", ("a", 1));
        using (var built = BackboneFactory.Create(new BackboneSpec { Name = "precomputed", StatesFiles = [file] }))
            Assert.IsType<PrecomputedBackbone>(built);
        Assert.False(BackboneFactory.Find("precomputed").NeedsVideoFiles);
        Assert.Contains("needs its states file", Assert.Throws<ArgumentException>(() =>
            BackboneFactory.Create(new BackboneSpec { Name = "precomputed" })).Message);
        Assert.Contains("H = 3, but H = 5 was asked for", Assert.Throws<ArgumentException>(() =>
            BackboneFactory.Create(new BackboneSpec { Name = "precomputed", StatesFiles = [file], HiddenSize = 5 })).Message);

        var unknown = Assert.Throws<ArgumentException>(() => BackboneFactory.Create(new BackboneSpec { Name = "huge" }));
        Assert.Contains("unknown backbone 'huge'; known:", unknown.Message);
        Assert.Contains("precomputed", unknown.Message);

        // Registering is one call; a name registered without a builder reports itself as not available.
        BackboneFactory.Register("test-reserved", "a reserved test name", needsVideoFiles: true, build: null);
        var reserved = Assert.Throws<NotSupportedException>(() => BackboneFactory.Create(new BackboneSpec { Name = "test-reserved" }));
        Assert.Contains("'test-reserved' (a reserved test name) is not available in this build; available:", reserved.Message);
        BackboneFactory.Register("test-reserved", "a reserved test name", needsVideoFiles: false,
            spec => PrecomputedBackbone.Create(spec with { Name = "precomputed" }));
        using (var registered = BackboneFactory.Create(new BackboneSpec { Name = "test-reserved", StatesFiles = [file] }))
            Assert.Equal(3, registered.HiddenSize);
    }
}
