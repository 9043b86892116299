using System.Text;

namespace MjVideo.Backbones.Pretrained;

/// <summary>The protobuf wire types. Groups (3, 4) are deprecated and unused by ONNX; the reader rejects them.</summary>
public enum WireType { Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5 }

/// <summary>
/// One field exactly as it sits on the wire: its number and wire type, and either its varint value or its raw payload
/// (the 4 or 8 bytes of a fixed field, the bytes of a length-delimited one). Nothing is interpreted beyond that, so a
/// field the editor does not know about survives a rewrite untouched.
/// </summary>
public readonly record struct ProtoField(int Number, WireType Type, ulong Varint, ReadOnlyMemory<byte> Payload)
{
    public static ProtoField OfVarint(int number, ulong value) => new(number, WireType.Varint, value, default);
    public static ProtoField OfInt64(int number, long value) => OfVarint(number, unchecked((ulong)value));
    public static ProtoField OfBytes(int number, ReadOnlyMemory<byte> bytes) => new(number, WireType.LengthDelimited, 0, bytes);
    public static ProtoField OfString(int number, string text) => OfBytes(number, Encoding.UTF8.GetBytes(text));
    public static ProtoField OfMessage(int number, ProtoMessage message) => OfBytes(number, message.ToArray());

    public string AsString() => Encoding.UTF8.GetString(Payload.Span);
    public long AsInt64() => unchecked((long)Varint);
}

/// <summary>
/// A protobuf message as an ordered list of fields, with no schema: just enough to edit an ONNX model in place. Parsing
/// keeps the payloads as slices of the input (a 63 MB model is not copied field by field), and writing emits the fields in
/// the same order with minimal varints, which is how every conforming encoder writes them, so parse-then-write of an
/// unedited message gives back the same bytes. Nested messages are parsed on demand with <see cref="Parse"/> on a
/// field's payload and put back with <see cref="ProtoField.OfMessage"/>.
/// </summary>
public sealed class ProtoMessage
{
    public List<ProtoField> Fields { get; }

    public ProtoMessage(IEnumerable<ProtoField>? fields = null) => Fields = fields?.ToList() ?? [];

    /// <param name="bytes">the encoded message</param>
    /// <param name="origin">where the bytes come from (a file name and a path inside it), for error messages</param>
    public static ProtoMessage Parse(ReadOnlyMemory<byte> bytes, string origin)
    {
        var fields = new List<ProtoField>();
        var span = bytes.Span;
        var position = 0;
        while (position < span.Length)
        {
            var fieldStart = position;
            var tag = ReadVarint(span, ref position, origin);
            var number = (int)(tag >> 3);
            if (tag >> 3 > int.MaxValue || number == 0)
                throw new InvalidDataException($"{origin}: invalid field number {tag >> 3} at byte {fieldStart}");
            switch ((int)(tag & 7))
            {
                case (int)WireType.Varint:
                    fields.Add(ProtoField.OfVarint(number, ReadVarint(span, ref position, origin)));
                    break;
                case (int)WireType.Fixed64:
                    fields.Add(new ProtoField(number, WireType.Fixed64, 0, Take(bytes, ref position, 8, origin, number)));
                    break;
                case (int)WireType.Fixed32:
                    fields.Add(new ProtoField(number, WireType.Fixed32, 0, Take(bytes, ref position, 4, origin, number)));
                    break;
                case (int)WireType.LengthDelimited:
                {
                    var length = ReadVarint(span, ref position, origin);
                    if (length > (ulong)(span.Length - position))
                        throw new InvalidDataException(
                            $"{origin}: field {number} at byte {fieldStart} claims {length} bytes but only {span.Length - position} remain");
                    fields.Add(ProtoField.OfBytes(number, Take(bytes, ref position, (int)length, origin, number)));
                    break;
                }
                default:
                    throw new InvalidDataException(
                        $"{origin}: field {number} at byte {fieldStart} has wire type {tag & 7}, which this reader does not handle (groups are deprecated)");
            }
        }
        return new ProtoMessage(fields);
    }

    public IEnumerable<ProtoField> All(int number) => Fields.Where(f => f.Number == number);

    /// <summary>The single field with this number; an error naming <paramref name="what"/> when there is none or several.</summary>
    public ProtoField Single(int number, string what)
    {
        var matches = All(number).Take(2).ToList();
        return matches.Count == 1
            ? matches[0]
            : throw new InvalidDataException($"{what}: expected exactly one field {number}, found {(matches.Count == 0 ? "none" : "several")}");
    }

    public ProtoField? Optional(int number) => All(number).Select(f => (ProtoField?)f).LastOrDefault();

    public string? OptionalString(int number) => Optional(number)?.AsString();

    /// <summary>Replaces the fields with this number by <paramref name="replacement"/>, at the position of the first one
    /// (appended when there was none).</summary>
    public void Replace(int number, IEnumerable<ProtoField> replacement)
    {
        var at = Fields.FindIndex(f => f.Number == number);
        Fields.RemoveAll(f => f.Number == number);
        Fields.InsertRange(at < 0 ? Fields.Count : at, replacement);
    }

    public void Replace(int number, ProtoField replacement) => Replace(number, [replacement]);

    public int ComputeSize()
    {
        long size = 0;
        foreach (var field in Fields) size += FieldSize(field);
        return size <= int.MaxValue ? (int)size : throw new InvalidOperationException($"message of {size} bytes exceeds 2 GB");
    }

    public byte[] ToArray()
    {
        var buffer = new byte[ComputeSize()];
        var position = 0;
        foreach (var field in Fields)
        {
            WriteVarint(buffer, ref position, ((ulong)field.Number << 3) | (ulong)field.Type);
            switch (field.Type)
            {
                case WireType.Varint:
                    WriteVarint(buffer, ref position, field.Varint);
                    break;
                case WireType.LengthDelimited:
                    WriteVarint(buffer, ref position, (ulong)field.Payload.Length);
                    field.Payload.Span.CopyTo(buffer.AsSpan(position));
                    position += field.Payload.Length;
                    break;
                case WireType.Fixed32 or WireType.Fixed64:
                    var width = field.Type == WireType.Fixed32 ? 4 : 8;
                    if (field.Payload.Length != width)
                        throw new InvalidOperationException($"fixed field {field.Number} holds {field.Payload.Length} bytes, expected {width}");
                    field.Payload.Span.CopyTo(buffer.AsSpan(position));
                    position += width;
                    break;
            }
        }
        return buffer;
    }

    static long FieldSize(ProtoField field)
    {
        var tagSize = VarintSize(((ulong)field.Number << 3) | (ulong)field.Type);
        return field.Type switch
        {
            WireType.Varint => tagSize + VarintSize(field.Varint),
            WireType.LengthDelimited => tagSize + VarintSize((ulong)field.Payload.Length) + field.Payload.Length,
            WireType.Fixed32 => tagSize + 4,
            WireType.Fixed64 => tagSize + 8,
            _ => throw new InvalidOperationException($"field {field.Number}: unknown wire type {field.Type}"),
        };
    }

    public static int VarintSize(ulong value)
    {
        var size = 1;
        while (value >= 0x80) { value >>= 7; size++; }
        return size;
    }

    /// <summary>The values of a packed repeated varint field (its payload).</summary>
    public static long[] ReadPackedVarints(ReadOnlySpan<byte> payload, string origin)
    {
        var values = new List<long>();
        var position = 0;
        while (position < payload.Length) values.Add(unchecked((long)ReadVarint(payload, ref position, origin)));
        return values.ToArray();
    }

    static ulong ReadVarint(ReadOnlySpan<byte> span, ref int position, string origin)
    {
        var start = position;
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (position >= span.Length) throw new InvalidDataException($"{origin}: truncated varint at byte {start}");
            var b = span[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new InvalidDataException($"{origin}: varint longer than 10 bytes at byte {start}");
    }

    static void WriteVarint(Span<byte> buffer, ref int position, ulong value)
    {
        while (value >= 0x80)
        {
            buffer[position++] = (byte)(value | 0x80);
            value >>= 7;
        }
        buffer[position++] = (byte)value;
    }

    static ReadOnlyMemory<byte> Take(ReadOnlyMemory<byte> bytes, ref int position, int length, string origin, int number)
    {
        if (length > bytes.Length - position)
            throw new InvalidDataException($"{origin}: field {number} at byte {position} is truncated ({length} bytes needed, {bytes.Length - position} left)");
        var slice = bytes.Slice(position, length);
        position += length;
        return slice;
    }
}
