using Microsoft.ML.OnnxRuntime;
using MjVideo.Backbones.Pretrained;

namespace MjVideo.Tests;

/// <summary>The protobuf wire reader/writer and the ONNX feature-map edit, on known encodings and a hand-built model
/// shaped like ResNet-18's stem and head (conv, "same" max-pool written as explicit pads, fixed-kernel average pool).</summary>
public class PretrainedOnnxEditTests
{
    [Fact]
    public void Known_encodings_from_the_protobuf_documentation_parse_and_write_back()
    {
        // Field 1 = 150 as a varint, field 2 = "testing", field 3 = fixed32, field 4 = fixed64.
        byte[] wire = [0x08, 0x96, 0x01, 0x12, 0x07, .."testing"u8, 0x1D, 1, 2, 3, 4, 0x21, 1, 2, 3, 4, 5, 6, 7, 8];
        var message = ProtoMessage.Parse(wire, "test");
        Assert.Equal(150UL, message.Single(1, "varint").Varint);
        Assert.Equal("testing", message.Single(2, "string").AsString());
        Assert.Equal(WireType.Fixed32, message.Single(3, "fixed32").Type);
        Assert.Equal(WireType.Fixed64, message.Single(4, "fixed64").Type);
        Assert.Equal(wire, message.ToArray());
    }

    [Fact]
    public void A_negative_int64_takes_ten_bytes_and_round_trips()
    {
        var message = new ProtoMessage([ProtoField.OfInt64(1, -1)]);
        var bytes = message.ToArray();
        Assert.Equal(11, bytes.Length);
        Assert.Equal(-1, ProtoMessage.Parse(bytes, "test").Single(1, "int64").AsInt64());
    }

    [Theory]
    [InlineData(new byte[] { 0x08 }, "truncated varint")]
    [InlineData(new byte[] { 0x12, 0x05, 0x61 }, "claims 5 bytes")]
    [InlineData(new byte[] { 0x0B }, "wire type 3")]
    [InlineData(new byte[] { 0x1D, 1, 2 }, "truncated")]
    public void Malformed_bytes_give_an_error_naming_the_origin(byte[] bytes, string expected)
    {
        var error = Assert.Throws<InvalidDataException>(() => ProtoMessage.Parse(bytes, "broken.onnx"));
        Assert.Contains("broken.onnx", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Hand_built_model_round_trips_byte_for_byte_and_runs()
    {
        var model = TinyModel.Build(maxPoolPads: [1, 1, 0, 0]);
        Assert.Equal(model, ProtoMessage.Parse(model, "tiny").ToArray());
        using var session = new InferenceSession(model);
        var pooled = TinyModel.Run(session, TinyModel.Input(1, 8, 8, seed: 1), 8, 8);
        Assert.Equal(TinyModel.Channels, pooled.Length);
    }

    [Fact]
    public void Packaged_onnx_files_round_trip_byte_for_byte()
    {
        foreach (var path in new[] { ResNet18Package.ModelPath(), ResNet18Package.PreprocessPath() })
        {
            var bytes = File.ReadAllBytes(path);
            Assert.True(bytes.AsSpan().SequenceEqual(ProtoMessage.Parse(bytes, path).ToArray()), $"{path} changed on rewrite");
        }
    }

    [Fact]
    public void Edit_exposes_the_pooling_input_with_free_dims_and_same_padding()
    {
        var (edited, edit) = OnnxModelEdit.ExposePoolingInput(TinyModel.Build(maxPoolPads: [1, 1, 0, 0]), "tiny");
        Assert.Equal("AveragePool", edit.PoolingOp);
        Assert.Equal("pooled", edit.RemovedOutput);
        Assert.Equal("relu", edit.FeatureMap);
        Assert.Equal(1, edit.NodesRemoved);      // the pooling node
        Assert.Equal(1, edit.InitializersRemoved); // "unused", read by nothing
        Assert.Equal(2, edit.PaddingsMadeSame);    // the conv and the max-pool

        var summary = OnnxGraphSummary.Read(edited, "edited");
        Assert.Equal("x[batch,3,height,width]", summary.Inputs.Single(i => i.Name == "x").ToString());
        Assert.DoesNotContain(summary.Inputs, i => i.Name == "unused");
        Assert.Contains(summary.Inputs, i => i.Name == "w"); // listed as an input (old IR style) and still read
        Assert.Equal($"relu[batch,{TinyModel.Channels},map_height,map_width]", summary.Outputs.Single().ToString());
        Assert.Equal(0, summary.ValueInfoCount);
        Assert.DoesNotContain(summary.Nodes, n => n.OpType == "AveragePool");
    }

    [Fact]
    public void Edited_model_gives_the_map_whose_mean_is_the_original_pooled_output_and_runs_other_sizes()
    {
        var original = TinyModel.Build(maxPoolPads: [1, 1, 0, 0]);
        var (edited, _) = OnnxModelEdit.ExposePoolingInput(original, "tiny");
        using var originalSession = new InferenceSession(original);
        using var editedSession = new InferenceSession(edited);

        using var runOptions = new RunOptions();
        var input = TinyModel.Input(1, 8, 8, seed: 2);
        var pooled = TinyModel.Run(originalSession, input, 8, 8);
        using var inputValue = OrtValue.CreateTensorValueFromMemory(input, [1, 3, 8, 8]);
        using var map = editedSession.Run(runOptions, ["x"], [inputValue], ["relu"]);
        Assert.Equal([1L, TinyModel.Channels, 4, 4], map[0].GetTensorTypeAndShape().Shape);
        var values = map[0].GetTensorDataAsSpan<float>().ToArray();
        for (var c = 0; c < TinyModel.Channels; c++)
            Assert.Equal(pooled[c], values.Skip(c * 16).Take(16).Average(), 5);

        // 9x9 is odd: "same" padding gives ceil(9/2) = 5, where the explicit pads of the original would give 4.
        using var oddInput = OrtValue.CreateTensorValueFromMemory(TinyModel.Input(2, 9, 9, seed: 3), [2, 3, 9, 9]);
        using var odd = editedSession.Run(runOptions, ["x"], [oddInput], ["relu"]);
        Assert.Equal([2L, TinyModel.Channels, 5, 5], odd[0].GetTensorTypeAndShape().Shape);
    }

    [Fact]
    public void Padding_that_is_not_same_padding_is_refused()
    {
        var error = Assert.Throws<InvalidDataException>(() => OnnxModelEdit.ExposePoolingInput(TinyModel.Build(maxPoolPads: [0, 0, 0, 0]), "tiny"));
        Assert.Contains("maxpool", error.Message);
        Assert.Contains("SAME_LOWER", error.Message);
    }

    [Fact]
    public void A_graph_that_does_not_end_in_pooling_is_refused()
    {
        var (edited, _) = OnnxModelEdit.ExposePoolingInput(TinyModel.Build(maxPoolPads: [1, 1, 0, 0]), "tiny");
        var error = Assert.Throws<InvalidDataException>(() => OnnxModelEdit.ExposePoolingInput(edited, "edited.onnx"));
        Assert.Contains("edited.onnx", error.Message);
        Assert.Contains("Relu", error.Message);
    }

    [Fact]
    public void A_missing_package_names_the_paths_it_tried()
    {
        var error = Assert.Throws<FileNotFoundException>(() => NuGetPackageFiles.Find("No.Such.Package", "1.0.0", "tools/x.onnx"));
        Assert.Contains(Path.Combine("no.such.package", "1.0.0", "tools/x.onnx"), error.Message);
        Assert.Contains("dotnet restore", error.Message);
    }
}

/// <summary>x [1,3,8,8] -> Conv 3x3 pads 1 -> MaxPool 3x3 stride 2 (pads given) -> Relu -> AveragePool 4x4 -> pooled [1,4,1,1].
/// Built field by field with the wire writer, with "w" and an unused initializer listed among the inputs (old IR style).</summary>
static class TinyModel
{
    public const int Channels = 4;

    public static byte[] Build(long[] maxPoolPads)
    {
        var weights = Enumerable.Range(0, Channels * 3 * 3 * 3).Select(i => MathF.Sin(i * 0.7f) * 0.3f).ToArray();
        var graph = new ProtoMessage([
            Field(1, Node("conv", "Conv", ["x", "w"], ["conv_out"], Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1), Ints("strides", 1, 1))),
            Field(1, Node("maxpool", "MaxPool", ["conv_out"], ["pool_out"], Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", maxPoolPads))),
            Field(1, Node("relu_node", "Relu", ["pool_out"], ["relu"])),
            Field(1, Node("head", "AveragePool", ["relu"], ["pooled"], Ints("kernel_shape", 4, 4))),
            ProtoField.OfString(2, "tiny"),
            Field(5, Initializer("w", [Channels, 3, 3, 3], weights)),
            Field(5, Initializer("unused", [2], [1f, 2f])),
            Field(11, OnnxModelEdit.ValueInfo("x", 1, [OnnxModelEdit.Dim(1), OnnxModelEdit.Dim(3), OnnxModelEdit.Dim(8), OnnxModelEdit.Dim(8)])),
            Field(11, OnnxModelEdit.ValueInfo("w", 1, [OnnxModelEdit.Dim(Channels), OnnxModelEdit.Dim(3), OnnxModelEdit.Dim(3), OnnxModelEdit.Dim(3)])),
            Field(11, OnnxModelEdit.ValueInfo("unused", 1, [OnnxModelEdit.Dim(2)])),
            Field(12, OnnxModelEdit.ValueInfo("pooled", 1, [OnnxModelEdit.Dim(1), OnnxModelEdit.Dim(Channels), OnnxModelEdit.Dim(1), OnnxModelEdit.Dim(1)])),
            Field(13, OnnxModelEdit.ValueInfo("conv_out", 1, [OnnxModelEdit.Dim(1), OnnxModelEdit.Dim(Channels), OnnxModelEdit.Dim(8), OnnxModelEdit.Dim(8)])),
        ]);
        var opset = new ProtoMessage([ProtoField.OfString(1, ""), ProtoField.OfInt64(2, 13)]);
        return new ProtoMessage([
            ProtoField.OfInt64(1, 7),          // ir_version
            ProtoField.OfString(2, "MjVideo.Tests"),
            Field(7, graph),
            Field(8, opset),
        ]).ToArray();
    }

    public static float[] Input(int batch, int height, int width, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, batch * 3 * height * width).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
    }

    /// <summary>The original model's pooled output, one value per channel.</summary>
    public static float[] Run(InferenceSession session, float[] input, int height, int width)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(input, [1, 3, height, width]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["x"], [value], ["pooled"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    static ProtoField Field(int number, ProtoMessage message) => ProtoField.OfMessage(number, message);

    static ProtoMessage Node(string name, string op, string[] inputs, string[] outputs, params ProtoMessage[] attributes) =>
        new(inputs.Select(i => ProtoField.OfString(1, i))
            .Concat(outputs.Select(o => ProtoField.OfString(2, o)))
            .Append(ProtoField.OfString(3, name))
            .Append(ProtoField.OfString(4, op))
            .Concat(attributes.Select(a => Field(5, a))));

    static ProtoMessage Ints(string name, params long[] values) =>
        new(new[] { ProtoField.OfString(1, name) }
            .Concat(values.Select(v => ProtoField.OfInt64(8, v)))
            .Append(ProtoField.OfVarint(20, 7))); // AttributeProto.type = INTS

    static ProtoMessage Initializer(string name, long[] dims, float[] values) =>
        new(dims.Select(d => ProtoField.OfInt64(1, d))
            .Append(ProtoField.OfVarint(2, 1)) // FLOAT
            .Append(ProtoField.OfString(8, name))
            .Append(ProtoField.OfBytes(9, values.SelectMany(BitConverter.GetBytes).ToArray())));
}
