using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using MjVideo.Model;
using static MjVideo.Tests.ModelTestKit;
using static TorchSharp.torch;

namespace MjVideo.Tests;

/// <summary>Safetensors save / load under the official names, and files written independently of our saver.</summary>
public class ModelWeightsTests
{
    /// <summary>
    /// Writes a safetensors file byte by byte from the format's definition (8-byte little-endian header length, a JSON
    /// header of name -> dtype, shape, data_offsets, then the raw little-endian data), as PyTorch's safetensors writes it,
    /// with the "__metadata__" entry it adds. Independent of TorchSharp.PyBridge, which our saver uses.
    /// </summary>
    static void WriteSafetensors(string path, IEnumerable<(string Name, string DType, long[] Shape, byte[] Data)> tensors)
    {
        var header = new Dictionary<string, object> { ["__metadata__"] = new Dictionary<string, string> { ["format"] = "pt" } };
        var data = new MemoryStream();
        foreach (var (name, dtype, shape, bytes) in tensors)
        {
            header[name] = new Dictionary<string, object>
            {
                ["dtype"] = dtype, ["shape"] = shape, ["data_offsets"] = new[] { data.Length, data.Length + bytes.Length },
            };
            data.Write(bytes);
        }
        var json = JsonSerializer.Serialize(header);
        json += new string(' ', (8 - Encoding.UTF8.GetByteCount(json) % 8) % 8); // the format pads the header to 8 bytes
        var headerBytes = Encoding.UTF8.GetBytes(json);
        using var file = File.Create(path);
        var length = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)headerBytes.Length);
        file.Write(length);
        file.Write(headerBytes);
        file.Write(data.ToArray());
    }

    static byte[] F32(float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }

    /// <summary>bfloat16 = the upper 16 bits of the float32 (exact for 0.5 and 1).</summary>
    static byte[] BF16(float[] values)
    {
        var bytes = new byte[values.Length * 2];
        for (var i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), (ushort)(BitConverter.SingleToUInt32Bits(values[i]) >> 16));
        return bytes;
    }

    /// <summary>The hand-set head's parameters under the official names; the scales in bf16, as the released model's
    /// checkpoint stores its weights.</summary>
    static IEnumerable<(string, string, long[], byte[])> HandOfficialFile() => HandOfficialParameters().Select(p =>
        p.Name.EndsWith("logit_scale") ? (p.Name, "BF16", p.Shape, BF16(p.Values)) : (p.Name, "F32", p.Shape, F32(p.Values)));

    [Fact]
    public void Save_then_load_round_trips_every_parameter_and_the_outputs()
    {
        var dir = RepoPaths.NewTempDir("head-weights");
        var path = Path.Combine(dir, "head.safetensors");
        using var original = new MjVideoHead(new MjVideoHeadConfig(HiddenSize: 3, Routing.Paper, GatingHiddenDim: 4), seed: 1);
        using var other = new MjVideoHead(new MjVideoHeadConfig(HiddenSize: 3, Routing.Paper, GatingHiddenDim: 4), seed: 2);
        HeadWeights.Save(original, path);

        var index = HeadWeights.ReadIndex(path);
        Assert.Equal(original.state_dict().Keys.Order(), index.Keys.Order());
        Assert.Equal([28L, 28], index["reward_transform_matrix"].Shape);
        Assert.Equal("F32", index["criteria_gating.logit_scale"].DType);

        var report = HeadWeights.Load(other, path);
        Assert.Equal(original.state_dict().Count, report.Loaded.Count);
        foreach (var (name, parameter) in original.named_parameters())
            Assert.Equal(Values(parameter), Values(other.named_parameters().Single(p => p.name == name).parameter));
        using var hGate = rand([2, 3], generator: new Generator(3));
        using var hLast = rand([2, 3], generator: new Generator(4));
        using var a = original.forward(hGate, hLast);
        using var b = other.forward(hGate, hLast);
        Assert.Equal(Values(a.Score), Values(b.Score));
        Assert.False(other.named_parameters().Single(p => p.name == "reward_transform_matrix").parameter.requires_grad);

        // Saving again over the same path replaces the file whole (written to a temporary file, then renamed).
        HeadWeights.Save(other, path);
        Assert.Single(Directory.GetFiles(dir));
    }

    [Fact]
    public void A_file_with_official_names_loads_and_gives_the_hand_computed_outputs()
    {
        var path = Path.Combine(RepoPaths.NewTempDir("official"), "model.safetensors");
        // The head's entries plus a backbone entry, as in a full MJ-VIDEO-2B checkpoint.
        WriteSafetensors(path, HandOfficialFile().Append(("model.language_model.output.weight", "F32", [2, 2], F32([1, 2, 3, 4]))));

        using var head = new MjVideoHead(HandConfig(Routing.Paper), seed: 77);
        var report = HeadWeights.Load(head, path, HeadLoadOptions.OfficialCheckpoint);
        Assert.Equal(1, report.Skipped);
        Assert.Equal(head.state_dict().Count, report.Loaded.Count);
        Assert.Empty(report.Notes);

        using var hGate = HandGate();
        using var hLast = HandLast();
        using var output = head.forward(hGate, hLast);
        // The hand case of ModelTestKit: s = [0.5, 1, 1, 0.5, -0.5], g = [0.2, 0.1, 0.1, 0.4, 0.2], score = 0.4.
        AssertClose(HandRewards, Values(output.Criteria!));
        AssertClose(HandAspectScores, Values(output.AspectScores!));
        AssertClose(HandAspectWeights, Values(output.AspectWeights!));
        AssertClose([HandScore], Values(output.Score));
    }

    [Fact]
    public void Strict_load_names_the_unexpected_backbone_keys()
    {
        var path = Path.Combine(RepoPaths.NewTempDir("strict"), "model.safetensors");
        WriteSafetensors(path, HandOfficialFile().Append(("model.mlp1.0.weight", "F32", [1], F32([1]))));
        using var head = new MjVideoHead(HandConfig(Routing.Paper), seed: 1);
        var e = Assert.Throws<InvalidDataException>(() => HeadWeights.Load(head, path));
        Assert.Contains("unexpected: model.mlp1.0.weight", e.Message);
    }

    [Fact]
    public void Load_reports_every_missing_misshapen_and_unexpected_name_and_leaves_the_head_unchanged()
    {
        var path = Path.Combine(RepoPaths.NewTempDir("bad-names"), "head.safetensors");
        var entries = HandOfficialFile()
            .Where(e => e.Item1 != "aspect_gating.logit_scale")
            .Select(e => e.Item1 == "regression_layer.weight" ? (e.Item1, "F32", new long[] { 28, 3 }, F32(new float[84])) : e)
            .Append(("scalar_head.weight", "F32", [1, 2], F32([1, 1])));
        WriteSafetensors(path, entries);
        using var head = new MjVideoHead(HandConfig(Routing.Paper), seed: 5);
        var before = head.named_parameters().ToDictionary(p => p.name, p => Values(p.parameter));

        var e = Assert.Throws<InvalidDataException>(() => HeadWeights.Load(head, path));
        Assert.Contains("missing: aspect_gating.logit_scale", e.Message);
        Assert.Contains("unexpected: scalar_head.weight", e.Message);
        Assert.Contains("wrong shape: 'regression_layer.weight' is [28, 3]", e.Message);
        Assert.Contains("the head needs [28, 2]", e.Message);
        Assert.Contains("InputAware head (H = 2", e.Message);
        foreach (var (name, parameter) in head.named_parameters()) Assert.Equal(before[name], Values(parameter));
    }

    [Fact]
    public void Load_rejects_non_finite_weights_and_notes_a_scale_above_one()
    {
        var dir = RepoPaths.NewTempDir("values");
        var nanPath = Path.Combine(dir, "nan.safetensors");
        WriteSafetensors(nanPath, HandOfficialFile().Select(e =>
            e.Item1 == "aspect_gating.layers.3.bias" ? (e.Item1, "F32", e.Item3, F32([0, float.NaN, 0, 0, 0])) : e));
        using var head = new MjVideoHead(HandConfig(Routing.Paper), seed: 5);
        var e = Assert.Throws<InvalidDataException>(() => HeadWeights.Load(head, nanPath));
        Assert.Contains("'aspect_gating.layers.3.bias'", e.Message);
        Assert.Contains("1 NaN or infinite", e.Message);

        var bigScalePath = Path.Combine(dir, "scale.safetensors");
        WriteSafetensors(bigScalePath, HandOfficialFile().Select(e =>
            e.Item1 == "criteria_gating.logit_scale" ? (e.Item1, "F32", e.Item3, F32([1.5f])) : e));
        var report = HeadWeights.Load(head, bigScalePath);
        Assert.Contains(report.Notes, n => n.StartsWith("criteria_gating.logit_scale = 1.5 > 1"));
    }

    [Fact]
    public void A_file_that_is_not_safetensors_is_named()
    {
        var path = Path.Combine(RepoPaths.NewTempDir("garbage"), "x.safetensors");
        File.WriteAllBytes(path, [200, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3]);
        var e = Assert.Throws<InvalidDataException>(() => HeadWeights.ReadIndex(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("does not fit the file", e.Message);
    }
}
