using System.Buffers;
using System.Text;
using System.IO.Compression;
using System.Text.Json;

namespace MjVideo.Data;

/// <summary>
/// One JSON object of a dataset file (a pair, a row, or an object nested in one), read with errors that name the file,
/// the item and its index, the field as a dotted path, and the value found. Every reader goes through it, so all
/// malformed-input messages have the same shape.
/// </summary>
internal sealed class JsonItem
{
    readonly string file;
    readonly string item;
    readonly int index;
    readonly int? line;
    readonly string prefix;
    readonly List<KeyValuePair<string, JsonElement>> properties = [];
    readonly Dictionary<string, JsonElement> byName = new(StringComparer.Ordinal);

    JsonItem(string file, string item, int index, int? line, string prefix, JsonElement element)
    {
        this.file = file;
        this.item = item;
        this.index = index;
        this.line = line;
        this.prefix = prefix;
        foreach (var property in element.EnumerateObject())
        {
            // Python's json module keeps the last of two equal keys; silently picking one would hide an annotation error.
            if (!byName.TryAdd(property.Name, property.Value))
                throw Error(property.Name, $"duplicate key (found {Describe(byName[property.Name])} and {Describe(property.Value)})");
            properties.Add(new(property.Name, property.Value));
        }
    }

    /// <param name="item">What one element is called in messages: "pair" or "row".</param>
    /// <param name="line">The 1-based line it is on, for JSON-lines files.</param>
    public static JsonItem Of(JsonElement element, string file, string item, int index, int? line = null)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new DatasetFormatException(file, item, index, null, $"expected a JSON object, found {Describe(element)}", line);
        return new JsonItem(file, item, index, line, "", element);
    }

    public IReadOnlyList<KeyValuePair<string, JsonElement>> Properties => properties;

    public bool Has(string name) => byName.ContainsKey(name);

    public DatasetFormatException Error(string? field, string problem) =>
        new(file, item, index, field is null ? (prefix.Length == 0 ? null : prefix.TrimEnd('.')) : prefix + field, problem, line);

    public JsonElement Required(string name) => byName.TryGetValue(name, out var value)
        ? value
        : throw Error(name, $"missing (keys present: {(properties.Count == 0 ? "none" : string.Join(", ", properties.Select(p => p.Key)))})");

    public string String(string name, bool allowEmpty = true)
    {
        var value = Required(name);
        if (value.ValueKind != JsonValueKind.String) throw Error(name, $"expected a string, found {Describe(value)}");
        var text = value.GetString()!;
        if (!allowEmpty && text.Trim().Length == 0) throw Error(name, "expected a non-empty string, found \"\"");
        return text;
    }

    public bool Bool(string name)
    {
        var value = Required(name);
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error(name, $"expected true or false, found {Describe(value)}"),
        };
    }

    /// <summary>A release label code: the JSON integer 0 (not related), 1 (good) or 2 (bad).</summary>
    public int Code(string name) => CodeOf(name, Required(name));

    public int CodeOf(string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var code))
            throw Error(name, $"expected an integer label code 0, 1 or 2, found {Describe(value)}");
        if (!LabelCode.IsValid(code)) throw Error(name, $"label code must be 0, 1 or 2, found {code}");
        return code;
    }

    public JsonItem Object(string name)
    {
        var value = Required(name);
        if (value.ValueKind != JsonValueKind.Object) throw Error(name, $"expected a JSON object, found {Describe(value)}");
        return new JsonItem(file, item, index, line, prefix + name + ".", value);
    }

    /// <summary>A short, single-line description of a JSON value for error messages: its kind and (truncated) text.</summary>
    public static string Describe(JsonElement value)
    {
        static string Clip(string text) => text.Length <= 80 ? text : text[..77] + "...";
        return value.ValueKind switch
        {
            JsonValueKind.String => "string " + Clip(JsonSerializer.Serialize(value.GetString())),
            JsonValueKind.Number => "number " + value.GetRawText(),
            JsonValueKind.True or JsonValueKind.False => "boolean " + value.GetRawText(),
            JsonValueKind.Null => "null",
            JsonValueKind.Object => "object " + Clip(string.Join(' ', value.GetRawText().Split((char[])['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries))),
            JsonValueKind.Array => "list " + Clip(string.Join(' ', value.GetRawText().Split((char[])['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries))),
            _ => value.ValueKind.ToString(),
        };
    }
}

/// <summary>Opening dataset files: plain or gzip-compressed (SafeSora ships <c>config-test.json.gz</c>), parsed strictly.</summary>
internal static class DatasetFiles
{
    /// <summary>
    /// The file's text; gzip is recognised by its magic bytes, not by its name. The bytes must be UTF-8 (JSON's encoding):
    /// anything else is an error naming the byte offset, never text with replacement characters in it.
    /// </summary>
    public static string ReadText(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var compressed = bytes is [0x1f, 0x8b, ..];
        if (compressed)
        {
            using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var text = new MemoryStream();
            gzip.CopyTo(text);
            bytes = text.ToArray();
        }
        var start = bytes is [0xEF, 0xBB, 0xBF, ..] ? 3 : 0;   // a byte-order mark is allowed and skipped
        if (FirstInvalidUtf8(bytes, start) is { } offset)
            throw new DatasetFormatException(path,
                $"not UTF-8 text: byte {offset} (0-based{(compressed ? ", in the decompressed text" : "")}) is 0x{bytes[offset]:X2}, " +
                "which starts no valid UTF-8 sequence; save the file as UTF-8");
        return Encoding.UTF8.GetString(bytes, start, bytes.Length - start);
    }

    /// <summary>The offset of the first byte that does not begin a complete, valid UTF-8 sequence; null when all are valid.</summary>
    static int? FirstInvalidUtf8(byte[] bytes, int start)
    {
        for (var i = start; i < bytes.Length;)
        {
            if (bytes[i] < 0x80)
            {
                i++;
                continue;
            }
            if (Rune.DecodeFromUtf8(bytes.AsSpan(i), out _, out var consumed) != OperationStatus.Done) return i;
            i += consumed;
        }
        return null;
    }

    public static JsonDocument Parse(string path, string text, string? where = null)
    {
        try
        {
            return JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            // A JSON-lines caller names the line itself; the parser's own line number is then always 1.
            var position = where is not null ? $", byte {e.BytePositionInLine + 1}"
                : e.LineNumber is { } line ? $" at line {line + 1}, byte {e.BytePositionInLine + 1}" : "";
            throw new DatasetFormatException(path, $"not valid JSON{where}{position}: {e.Message}", e);
        }
    }

    /// <summary>Parses a file whose top level must be a JSON list of objects.</summary>
    public static JsonDocument ParseList(string path, string what)
    {
        var document = Parse(path, ReadText(path));
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            var found = JsonItem.Describe(document.RootElement);
            document.Dispose();
            throw new DatasetFormatException(path, $"the top level must be a JSON list of {what} objects, found {found}");
        }
        return document;
    }
}
