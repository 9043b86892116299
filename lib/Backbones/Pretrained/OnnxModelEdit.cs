namespace MjVideo.Backbones.Pretrained;

/// <summary>Field numbers of the ONNX messages the editor touches (onnx/onnx.proto).</summary>
static class OnnxField
{
    public const int ModelGraph = 7;

    public const int GraphNode = 1, GraphName = 2, GraphInitializer = 5, GraphInput = 11, GraphOutput = 12, GraphValueInfo = 13;

    public const int NodeInput = 1, NodeOutput = 2, NodeName = 3, NodeOpType = 4, NodeAttribute = 5;
    public const int AttributeName = 1, AttributeString = 4, AttributeInts = 8, AttributeType = 20;
    public const int AttributeTypeString = 3;

    public const int ValueInfoName = 1, ValueInfoType = 2;
    public const int TypeTensor = 1;
    public const int TensorTypeElemType = 1, TensorTypeShape = 2;
    public const int ShapeDim = 1;
    public const int DimValue = 1, DimParam = 2;

    public const int TensorName = 8;
}

/// <summary>A graph input or output: its name, element type code (1 = float) and dims (a number or a symbolic name; "?"
/// when the dim is unset; null when the shape itself is absent).</summary>
public sealed record OnnxValueInfo(string Name, long ElementType, IReadOnlyList<string>? Dims)
{
    public override string ToString() => $"{Name}[{(Dims is null ? "?" : string.Join(",", Dims))}]";
}

public sealed record OnnxNodeInfo(string Name, string OpType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs);

/// <summary>What an ONNX graph looks like from outside: its inputs, outputs, nodes and initializer names.</summary>
public sealed record OnnxGraphSummary(
    IReadOnlyList<OnnxValueInfo> Inputs,
    IReadOnlyList<OnnxValueInfo> Outputs,
    IReadOnlyList<OnnxNodeInfo> Nodes,
    IReadOnlyList<string> Initializers,
    int ValueInfoCount)
{
    public static OnnxGraphSummary Read(ReadOnlyMemory<byte> model, string origin)
    {
        var graph = OnnxModelEdit.ReadGraph(model, origin);
        return new OnnxGraphSummary(
            graph.All(OnnxField.GraphInput).Select(f => OnnxModelEdit.ReadValueInfo(f, origin)).ToList(),
            graph.All(OnnxField.GraphOutput).Select(f => OnnxModelEdit.ReadValueInfo(f, origin)).ToList(),
            graph.All(OnnxField.GraphNode).Select(f => OnnxModelEdit.ReadNode(f, origin)).ToList(),
            graph.All(OnnxField.GraphInitializer)
                .Select(f => ProtoMessage.Parse(f.Payload, $"{origin}: initializer").OptionalString(OnnxField.TensorName) ?? "").ToList(),
            graph.All(OnnxField.GraphValueInfo).Count());
    }
}

/// <summary>What <see cref="OnnxModelEdit.ExposePoolingInput"/> changed.</summary>
public sealed record FeatureMapEdit(
    string Input,
    string FeatureMap,
    string RemovedOutput,
    string PoolingOp,
    int NodesKept,
    int NodesRemoved,
    int InitializersRemoved,
    int PaddingsMadeSame);

/// <summary>
/// The one graph edit the frozen-encoder backbone needs. ResNet18.onnx ends in a pooling node whose output (1x512x1x1) is
/// the only graph output, and its input is fixed at 1x3x224x224. The edit
/// <list type="number">
/// <item>makes the pooling node's input (the last conv block's [N,512,h,w] map) the graph output and removes the nodes and
/// initializers nothing needs any more (the pooling node at least: its fixed 7x7 kernel would reject the 4x4 map of a
/// 112x112 frame);</item>
/// <item>frees the input's batch, height and width as named dims;</item>
/// <item>turns explicit convolution and pooling paddings into <c>auto_pad = SAME_LOWER</c>. The CNTK export wrote out
/// the "same" padding it computed for 224x224 (for a 3x3 stride-2 conv: 1 before, 0 after); at 112x112 the last stage
/// sees a 7x7 map, where those fixed pads give 3x3 on the residual path but 4x4 on the 1x1 shortcut, and the Add fails.
/// SAME_LOWER is the same rule recomputed for each size. The edit only does this where the explicit pads equal what
/// SAME_LOWER gives for an input divisible by the stride (true at every layer at 224), and refuses otherwise;</item>
/// <item>drops the value_info shape hints, computed for 224x224 (ONNX Runtime infers shapes itself).</item>
/// </list>
/// Everything else, weights included, is carried over byte for byte.
/// </summary>
public static class OnnxModelEdit
{
    public static readonly string[] PoolingOps = ["GlobalAveragePool", "AveragePool", "GlobalMaxPool", "MaxPool"];
    public const string BatchDim = "batch", HeightDim = "height", WidthDim = "width";
    public const string MapHeightDim = "map_height", MapWidthDim = "map_width";

    public static (byte[] Model, FeatureMapEdit Edit) ExposePoolingInput(ReadOnlyMemory<byte> modelBytes, string origin)
    {
        var model = ProtoMessage.Parse(modelBytes, origin);
        var graph = ProtoMessage.Parse(model.Single(OnnxField.ModelGraph, $"{origin}: ModelProto.graph").Payload, $"{origin}: graph");

        var outputs = graph.All(OnnxField.GraphOutput).ToList();
        if (outputs.Count != 1)
            throw new InvalidDataException($"{origin}: expected one graph output (the pooled features), found {outputs.Count}");
        var pooledOutput = ReadValueInfo(outputs[0], origin);

        var nodes = graph.All(OnnxField.GraphNode).Select(f => (Field: f, Info: ReadNode(f, origin))).ToList();
        var pooling = nodes.Where(n => n.Info.Outputs.Contains(pooledOutput.Name)).Select(n => n.Info).SingleOrDefault()
            ?? throw new InvalidDataException($"{origin}: no node produces the graph output '{pooledOutput.Name}'");
        if (!PoolingOps.Contains(pooling.OpType))
            throw new InvalidDataException(
                $"{origin}: the graph output '{pooledOutput.Name}' comes from a {pooling.OpType} node, not a pooling node ({string.Join(", ", PoolingOps)})");
        var featureMap = pooling.Inputs[0];

        // Walk back from the feature map: a node is kept when something kept (or the new output) reads one of its outputs.
        // ONNX requires nodes in topological order, so one reverse pass suffices.
        var needed = new HashSet<string> { featureMap };
        var keep = new bool[nodes.Count];
        for (var i = nodes.Count - 1; i >= 0; i--)
        {
            if (!nodes[i].Info.Outputs.Any(needed.Contains)) continue;
            keep[i] = true;
            foreach (var input in nodes[i].Info.Inputs) needed.Add(input);
        }
        var keptNodes = new List<ProtoField>();
        var paddingsMadeSame = 0;
        for (var i = 0; i < nodes.Count; i++)
            if (keep[i]) keptNodes.Add(MakePaddingSame(nodes[i].Field, nodes[i].Info, origin, ref paddingsMadeSame));

        var initializers = graph.All(OnnxField.GraphInitializer)
            .Select(f => (Field: f, Name: ProtoMessage.Parse(f.Payload, $"{origin}: initializer").OptionalString(OnnxField.TensorName) ?? ""))
            .ToList();
        var initializerNames = initializers.Select(i => i.Name).ToHashSet();
        var keptInitializers = initializers.Where(i => needed.Contains(i.Name)).Select(i => i.Field).ToList();

        // Older IR versions list initializers among the graph inputs too; an input survives when something still reads it.
        var inputs = graph.All(OnnxField.GraphInput).Select(f => (Field: f, Info: ReadValueInfo(f, origin))).ToList();
        var dataInputs = inputs.Where(i => !initializerNames.Contains(i.Info.Name)).ToList();
        if (dataInputs.Count != 1)
            throw new InvalidDataException(
                $"{origin}: expected one data input (not an initializer), found {dataInputs.Count}: {string.Join(", ", dataInputs.Select(i => i.Info))}");
        var data = dataInputs[0];
        if (data.Info.Dims is not { Count: 4 })
            throw new InvalidDataException($"{origin}: the data input {data.Info} is not 4-D [N,C,H,W]");
        var keptInputs = inputs
            .Where(i => i.Info.Name == data.Info.Name || needed.Contains(i.Info.Name))
            .Select(i => i.Info.Name == data.Info.Name ? FreeDims(i.Field, origin) : i.Field)
            .ToList();

        var channels = pooledOutput.Dims is { Count: 4 } d && long.TryParse(d[1], out var c) ? c : (long?)null;
        var newOutput = ValueInfo(featureMap, pooledOutput.ElementType,
            [Dim(BatchDim), channels is { } ch ? Dim(ch) : Dim("channels"), Dim(MapHeightDim), Dim(MapWidthDim)]);

        graph.Replace(OnnxField.GraphNode, keptNodes);
        graph.Replace(OnnxField.GraphInitializer, keptInitializers);
        graph.Replace(OnnxField.GraphInput, keptInputs);
        graph.Replace(OnnxField.GraphOutput, ProtoField.OfMessage(OnnxField.GraphOutput, newOutput));
        graph.Replace(OnnxField.GraphValueInfo, []);
        model.Replace(OnnxField.ModelGraph, ProtoField.OfMessage(OnnxField.ModelGraph, graph));

        var edit = new FeatureMapEdit(data.Info.Name, featureMap, pooledOutput.Name, pooling.OpType,
            keptNodes.Count, nodes.Count - keptNodes.Count, initializers.Count - keptInitializers.Count, paddingsMadeSame);
        return (model.ToArray(), edit);
    }

    static readonly string[] PaddedOps = ["Conv", "MaxPool", "AveragePool"];

    /// <summary>A Conv or pooling node with explicit "same" pads gets <c>auto_pad = SAME_LOWER</c> instead (see the class
    /// summary); any other node is returned unchanged.</summary>
    static ProtoField MakePaddingSame(ProtoField nodeField, OnnxNodeInfo info, string origin, ref int changed)
    {
        if (!PaddedOps.Contains(info.OpType)) return nodeField;
        var where = $"{origin}: {info.OpType} node '{info.Name}'";
        var node = ProtoMessage.Parse(nodeField.Payload, where);
        var attributes = node.All(OnnxField.NodeAttribute)
            .Select(f => ProtoMessage.Parse(f.Payload, where))
            .ToDictionary(a => a.OptionalString(OnnxField.AttributeName) ?? throw new InvalidDataException($"{where}: an attribute has no name"));
        var autoPad = attributes.TryGetValue("auto_pad", out var a) ? a.OptionalString(OnnxField.AttributeString) ?? "NOTSET" : "NOTSET";
        if (autoPad != "NOTSET") return nodeField;

        var kernel = Ints(attributes, "kernel_shape", where) ?? throw new InvalidDataException($"{where}: no kernel_shape");
        var strides = Ints(attributes, "strides", where) ?? kernel.Select(_ => 1L).ToArray();
        var pads = Ints(attributes, "pads", where) ?? new long[2 * kernel.Length];
        if (Ints(attributes, "dilations", where) is { } dilations && dilations.Any(d => d != 1))
            throw new InvalidDataException($"{where}: dilated kernels are not handled by the padding edit");
        if (strides.Length != kernel.Length || pads.Length != 2 * kernel.Length)
            throw new InvalidDataException($"{where}: kernel_shape, strides and pads disagree on the number of spatial axes");
        for (var axis = 0; axis < kernel.Length; axis++)
        {
            // For an input divisible by the stride, "same" needs kernel - stride pixels of padding, the odd one first.
            var total = Math.Max(kernel[axis] - strides[axis], 0);
            var (before, after) = ((total + 1) / 2, total / 2);
            if (pads[axis] != before || pads[axis + kernel.Length] != after)
                throw new InvalidDataException(
                    $"{where}: pads [{string.Join(",", pads)}] are not SAME_LOWER padding for kernel [{string.Join(",", kernel)}] " +
                    $"and strides [{string.Join(",", strides)}], so the input size cannot be freed safely");
        }

        var sameLower = new ProtoMessage([
            ProtoField.OfString(OnnxField.AttributeName, "auto_pad"),
            ProtoField.OfString(OnnxField.AttributeString, "SAME_LOWER"),
            ProtoField.OfVarint(OnnxField.AttributeType, OnnxField.AttributeTypeString)]);
        var kept = node.All(OnnxField.NodeAttribute)
            .Where(f => ProtoMessage.Parse(f.Payload, where).OptionalString(OnnxField.AttributeName) is not ("pads" or "auto_pad"))
            .Append(ProtoField.OfMessage(OnnxField.NodeAttribute, sameLower));
        node.Replace(OnnxField.NodeAttribute, kept.ToList());
        changed++;
        return ProtoField.OfMessage(OnnxField.GraphNode, node);
    }

    /// <summary>An INTS attribute's values (packed or not); null when the attribute is absent.</summary>
    static long[]? Ints(Dictionary<string, ProtoMessage> attributes, string name, string where)
    {
        if (!attributes.TryGetValue(name, out var attribute)) return null;
        return attribute.All(OnnxField.AttributeInts)
            .SelectMany(f => f.Type == WireType.Varint ? [f.AsInt64()] : ProtoMessage.ReadPackedVarints(f.Payload.Span, where))
            .ToArray();
    }

    /// <summary>The input's dims 0, 2, 3 (batch, height, width) become symbolic; the channel dim stays as it was.</summary>
    static ProtoField FreeDims(ProtoField inputField, string origin)
    {
        var info = ProtoMessage.Parse(inputField.Payload, $"{origin}: graph input");
        var type = ProtoMessage.Parse(info.Single(OnnxField.ValueInfoType, $"{origin}: input type").Payload, $"{origin}: input type");
        var tensor = ProtoMessage.Parse(type.Single(OnnxField.TypeTensor, $"{origin}: input tensor type").Payload, $"{origin}: input tensor type");
        var shape = ProtoMessage.Parse(tensor.Single(OnnxField.TensorTypeShape, $"{origin}: input shape").Payload, $"{origin}: input shape");
        var dims = shape.All(OnnxField.ShapeDim).ToList();
        string?[] names = [BatchDim, null, HeightDim, WidthDim];
        var freed = dims.Select((dim, i) => names[i] is { } name ? ProtoField.OfMessage(OnnxField.ShapeDim, Dim(name)) : dim);
        shape.Replace(OnnxField.ShapeDim, freed);
        tensor.Replace(OnnxField.TensorTypeShape, ProtoField.OfMessage(OnnxField.TensorTypeShape, shape));
        type.Replace(OnnxField.TypeTensor, ProtoField.OfMessage(OnnxField.TypeTensor, tensor));
        info.Replace(OnnxField.ValueInfoType, ProtoField.OfMessage(OnnxField.ValueInfoType, type));
        return ProtoField.OfMessage(OnnxField.GraphInput, info);
    }

    internal static ProtoMessage ReadGraph(ReadOnlyMemory<byte> model, string origin) =>
        ProtoMessage.Parse(
            ProtoMessage.Parse(model, origin).Single(OnnxField.ModelGraph, $"{origin}: ModelProto.graph").Payload,
            $"{origin}: graph");

    internal static OnnxNodeInfo ReadNode(ProtoField field, string origin)
    {
        var node = ProtoMessage.Parse(field.Payload, $"{origin}: node");
        return new OnnxNodeInfo(
            node.OptionalString(OnnxField.NodeName) ?? "",
            node.OptionalString(OnnxField.NodeOpType) ?? throw new InvalidDataException($"{origin}: a node has no op_type"),
            node.All(OnnxField.NodeInput).Select(f => f.AsString()).ToList(),
            node.All(OnnxField.NodeOutput).Select(f => f.AsString()).ToList());
    }

    internal static OnnxValueInfo ReadValueInfo(ProtoField field, string origin)
    {
        var info = ProtoMessage.Parse(field.Payload, $"{origin}: value info");
        var name = info.OptionalString(OnnxField.ValueInfoName) ?? throw new InvalidDataException($"{origin}: a graph input or output has no name");
        var where = $"{origin}: value '{name}'";
        if (info.Optional(OnnxField.ValueInfoType) is not { } typeField) return new OnnxValueInfo(name, 0, null);
        var type = ProtoMessage.Parse(typeField.Payload, where);
        if (type.Optional(OnnxField.TypeTensor) is not { } tensorField)
            throw new InvalidDataException($"{where} is not a tensor");
        var tensor = ProtoMessage.Parse(tensorField.Payload, where);
        var elementType = tensor.Optional(OnnxField.TensorTypeElemType)?.AsInt64() ?? 0;
        if (tensor.Optional(OnnxField.TensorTypeShape) is not { } shapeField) return new OnnxValueInfo(name, elementType, null);
        var dims = ProtoMessage.Parse(shapeField.Payload, where).All(OnnxField.ShapeDim).Select(f =>
        {
            var dim = ProtoMessage.Parse(f.Payload, where);
            return dim.Optional(OnnxField.DimValue) is { } v ? v.AsInt64().ToString()
                : dim.OptionalString(OnnxField.DimParam) ?? "?";
        }).ToList();
        return new OnnxValueInfo(name, elementType, dims);
    }

    /// <summary>A tensor ValueInfoProto (for a graph input or output).</summary>
    public static ProtoMessage ValueInfo(string name, long elementType, IEnumerable<ProtoMessage> dims)
    {
        var shape = new ProtoMessage(dims.Select(d => ProtoField.OfMessage(OnnxField.ShapeDim, d)));
        var tensor = new ProtoMessage([
            ProtoField.OfInt64(OnnxField.TensorTypeElemType, elementType),
            ProtoField.OfMessage(OnnxField.TensorTypeShape, shape)]);
        var type = new ProtoMessage([ProtoField.OfMessage(OnnxField.TypeTensor, tensor)]);
        return new ProtoMessage([ProtoField.OfString(OnnxField.ValueInfoName, name), ProtoField.OfMessage(OnnxField.ValueInfoType, type)]);
    }

    public static ProtoMessage Dim(long value) => new([ProtoField.OfInt64(OnnxField.DimValue, value)]);
    public static ProtoMessage Dim(string symbol) => new([ProtoField.OfString(OnnxField.DimParam, symbol)]);
}
