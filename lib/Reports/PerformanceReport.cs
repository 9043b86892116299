using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MjVideo.Core;

namespace MjVideo.Reports;

/// <summary>One measurement of `mjvideo bench all`: a bench command run in its own process, so that its peak resident
/// memory is its own.</summary>
/// <param name="Name">the bench sub-command (decode, encoder, scoring, training, end-to-end, synth)</param>
/// <param name="Command">the command line that ran it</param>
/// <param name="Details">everything the sub-command printed with --json, as it printed it</param>
public sealed record BenchPart(string Name, string Command, double WallSeconds, long PeakRssBytes, IReadOnlyList<PerformanceRow> Rows, JsonObject Details);

/// <summary>
/// What `mjvideo bench all --json` writes, and the README's performance table made from it. Top-level keys:
/// <code>
/// machine, commit, created_utc, repeats, note
/// decode_ratio, decode_parallel_ratio, encoder_ratio, scoring_flop_ratio, train_to_scoring_ratio, end_to_end_ratio,
/// pipeline_speedup, generation_ratio   the worst ratio among the rows under that key (library / reference, same run)
/// peak_rss_bytes                       the largest peak resident memory of any bench process
/// targets                              {key: the ratio asked for at least; peak_rss_bytes: the memory limit}
/// benches                              [{name, command, wall_seconds, peak_rss_bytes, rows: [{key, measurement, measured,
///                                      unit, reference, reference_name, ratio, target}], details: {...}}]
/// </code>
/// </summary>
public sealed record PerformanceReport(string Machine, string Commit, DateTimeOffset CreatedUtc, int Repeats, string Note, IReadOnlyList<BenchPart> Parts)
{
    /// <summary>The section of README.md between the generated-section markers.</summary>
    public const string ReadmeSection = "performance";

    /// <summary>The issue's memory limit for any bench (and the quick-mode notebook suite): 4 GiB.</summary>
    public const long PeakRssTargetBytes = 4L << 30;

    /// <summary>The summary keys in the order they are written.</summary>
    public static IReadOnlyList<string> RatioKeys { get; } =
    [
        "decode_ratio", "decode_parallel_ratio", "encoder_ratio", "scoring_flop_ratio", "train_to_scoring_ratio", "end_to_end_ratio",
        "pipeline_speedup", "generation_ratio",
    ];

    public IEnumerable<PerformanceRow> Rows => Parts.SelectMany(p => p.Rows);

    /// <summary>For each key that has rows, the worst (smallest) ratio among them.</summary>
    public IReadOnlyDictionary<string, double> Ratios =>
        Rows.GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.Min(r => r.Ratio));

    public long PeakRssBytes => Parts.Count == 0 ? 0 : Parts.Max(p => p.PeakRssBytes);

    /// <summary>The ratio targets that rows carry (the same for every row of a key).</summary>
    public IReadOnlyDictionary<string, double> Targets =>
        Rows.Where(r => r.Target is not null).GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.Max(r => r.Target!.Value));

    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["machine"] = Machine,
            ["commit"] = Commit,
            ["created_utc"] = CreatedUtc.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["repeats"] = Repeats,
            ["note"] = Note,
        };
        var ratios = Ratios;
        foreach (var key in RatioKeys.Concat(ratios.Keys.Except(RatioKeys).Order(StringComparer.Ordinal)))
            if (ratios.TryGetValue(key, out var ratio)) json[key] = ratio;
        json["peak_rss_bytes"] = PeakRssBytes;
        var targets = new JsonObject(Targets.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => KeyValuePair.Create(t.Key, (JsonNode?)t.Value)));
        targets["peak_rss_bytes"] = PeakRssTargetBytes;
        json["targets"] = targets;
        json["benches"] = new JsonArray(Parts.Select(p => (JsonNode?)new JsonObject
        {
            ["name"] = p.Name,
            ["command"] = p.Command,
            ["wall_seconds"] = p.WallSeconds,
            ["peak_rss_bytes"] = p.PeakRssBytes,
            ["rows"] = RowsToJson(p.Rows),
            ["details"] = p.Details.DeepClone(),
        }).ToArray());
        return json;
    }

    public string ToJsonString() => ToJson().ToJsonString(Indented);

    /// <summary>The rows as a JSON array (what each bench sub-command prints under "rows").</summary>
    public static JsonArray RowsToJson(IEnumerable<PerformanceRow> rows) => new(rows.Select(r => (JsonNode?)new JsonObject
    {
        ["key"] = r.Key,
        ["measurement"] = r.Measurement,
        ["measured"] = r.Measured,
        ["unit"] = r.Unit,
        ["reference"] = r.Reference,
        ["reference_name"] = r.ReferenceName,
        ["ratio"] = r.Ratio,
        ["target"] = r.Target,
    }).ToArray());

    public static IReadOnlyList<PerformanceRow> RowsFromJson(JsonNode? rows, string source)
    {
        if (rows is not JsonArray array) throw new InvalidDataException($"{source}: 'rows' is missing or not an array");
        return array.Select((node, i) =>
        {
            var row = node as JsonObject ?? throw new InvalidDataException($"{source}: rows[{i}] is not an object");
            string Text(string key) => Field(row, key, $"rows[{i}]", source).GetValue<string>();
            double Number(string key) => Field(row, key, $"rows[{i}]", source).GetValue<double>();
            return new PerformanceRow(Text("key"), Text("measurement"), Number("measured"), Text("unit"), Number("reference"),
                Text("reference_name"), Number("ratio"), row["target"]?.GetValue<double>());
        }).ToList();
    }

    public static PerformanceReport FromJson(JsonObject json, string source)
    {
        string Text(string key) => Field(json, key, "report", source).GetValue<string>();
        var benches = Field(json, "benches", "report", source) as JsonArray
                      ?? throw new InvalidDataException($"{source}: 'benches' is not an array");
        var parts = benches.Select((node, i) =>
        {
            var bench = node as JsonObject ?? throw new InvalidDataException($"{source}: benches[{i}] is not an object");
            var where = $"benches[{i}]";
            return new BenchPart(Field(bench, "name", where, source).GetValue<string>(), Field(bench, "command", where, source).GetValue<string>(),
                Field(bench, "wall_seconds", where, source).GetValue<double>(), Field(bench, "peak_rss_bytes", where, source).GetValue<long>(),
                RowsFromJson(bench["rows"], $"{source}: {where}"),
                Field(bench, "details", where, source) as JsonObject ?? throw new InvalidDataException($"{source}: {where}.details is not an object"));
        }).ToList();
        return new PerformanceReport(Text("machine"), Text("commit"),
            DateTimeOffset.Parse(Text("created_utc"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
            Field(json, "repeats", "report", source).GetValue<int>(), Text("note"), parts);
    }

    public static PerformanceReport Read(string path)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
        return FromJson(node as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object"), path);
    }

    public void Write(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        File.WriteAllText(path + ".tmp", ToJsonString() + "\n");
        File.Move(path + ".tmp", path, overwrite: true);
    }

    static JsonNode Field(JsonObject json, string key, string where, string source) =>
        json[key] ?? throw new InvalidDataException($"{source}: {where} has no '{key}'");

    static string F(double value, string format = "0.00") => value.ToString(format, CultureInfo.InvariantCulture);

    public static string Mib(long bytes) => $"{F(bytes / (1024.0 * 1024), "0")} MiB";

    /// <summary>The README section: where and when it ran, one table row per measurement, the summary against the targets.</summary>
    public string Markdown()
    {
        var lines = new List<string>
        {
            $"Measured by `mjvideo bench all` on {Machine}, commit `{Commit}`, {CreatedUtc.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC; " +
            $"{Repeats} repetitions per measurement, interleaved with the reference, medians. {Note}",
            "",
            MarkdownSections.Table(["measurement", "measured", "reference (same run)", "ratio", "target", "peak RSS"],
                Parts.SelectMany(p => p.Rows.Select(r => (IReadOnlyList<string>)
                [
                    r.Measurement,
                    $"{F(r.Measured, Format(r.Measured))} {r.Unit}",
                    $"{F(r.Reference, Format(r.Reference))} {r.Unit}: {r.ReferenceName}",
                    F(r.Ratio),
                    r.Target is { } t ? $">= {F(t, "0.0#")}: {(r.Ratio >= t ? "met" : "**not met**")}" : "",
                    Mib(p.PeakRssBytes),
                ]))),
            "",
            "Summary (the worst row of each kind): " + string.Join("; ", RatioKeys.Where(Ratios.ContainsKey).Select(key =>
                $"`{key}` {F(Ratios[key])}" + (Targets.TryGetValue(key, out var target) ? $" (target {F(target, "0.0#")})" : ""))) +
            $"; `peak_rss_bytes` {Mib(PeakRssBytes)} (limit {Mib(PeakRssTargetBytes)}: {(PeakRssBytes < PeakRssTargetBytes ? "met" : "**not met**")}).",
            "",
            "Peak RSS is the bench process's own (VmHWM; its ffmpeg children are separate processes). The quick-mode notebook suite's " +
            "peak memory is printed per notebook by `mjvideo notebooks`. Regenerate this section with " +
            "`mjvideo bench all --out results/performance.json` and then `mjvideo bench readme results/performance.json`.",
        };
        return string.Join("\n", lines);
    }

    /// <summary>Throughputs of a few per second get two decimals, larger ones fewer.</summary>
    static string Format(double value) => Math.Abs(value) >= 100 ? "0" : Math.Abs(value) >= 10 ? "0.0" : "0.00";

    /// <summary>Replaces the performance section of a README (atomically; the rest of the file is left as it is).</summary>
    public void WriteToReadme(string readmePath) => MarkdownSections.ReplaceInFile(readmePath, ReadmeSection, Markdown());
}
