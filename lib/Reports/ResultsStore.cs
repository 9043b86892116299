using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MjVideo.Core;

namespace MjVideo.Reports;

/// <summary>
/// One run's record in results/: the single source of every table in the notebooks and the README. It carries what
/// is needed to trust and reproduce the numbers: the run id, the mode, the hash of the full config, the dataset version,
/// the commit, the machine, the config itself and the metrics.
/// </summary>
public sealed record RunRecord(
    string RunId,
    string Kind,
    string Mode,
    string ConfigHash,
    string? SynthBenchVersion,
    string Commit,
    string Machine,
    DateTimeOffset CreatedUtc,
    JsonObject Config,
    JsonObject Metrics)
{
    public JsonObject ToJson() => new()
    {
        ["run_id"] = RunId,
        ["kind"] = Kind,
        ["mode"] = Mode,
        ["config_hash"] = ConfigHash,
        ["synthbench_version"] = SynthBenchVersion,
        ["commit"] = Commit,
        ["machine"] = Machine,
        ["created_utc"] = CreatedUtc.ToString("yyyy-MM-ddTHH:mm:ssZ"),
        ["config"] = Config.DeepClone(),
        ["metrics"] = Metrics.DeepClone(),
    };

    public static RunRecord FromJson(JsonObject json, string source)
    {
        string Required(string key) => json[key]?.GetValue<string>()
                                       ?? throw new InvalidDataException($"{source}: field '{key}' is missing or not a string");
        return new RunRecord(Required("run_id"), Required("kind"), Required("mode"), Required("config_hash"),
            json["synthbench_version"]?.GetValue<string>(), Required("commit"), Required("machine"),
            DateTimeOffset.Parse(Required("created_utc"), System.Globalization.CultureInfo.InvariantCulture),
            json["config"] as JsonObject ?? throw new InvalidDataException($"{source}: field 'config' is missing"),
            json["metrics"] as JsonObject ?? throw new InvalidDataException($"{source}: field 'metrics' is missing"));
    }
}

/// <summary>Writes and reads <see cref="RunRecord"/>s, one JSON file per run, atomically.</summary>
public sealed class ResultsStore(string directory)
{
    public string Directory { get; } = directory;

    public static ResultsStore For(Workbook workbook) => new(workbook.ResultsDir);

    /// <summary>
    /// Builds a record for a config and its metrics: the config hash is over the config's canonical JSON. Paths inside the
    /// workbook that the config names (checkpoints, data files) are stored relative to its root, so that a committed record
    /// names no machine's folders; <see cref="Workbook.Resolve"/> reads them back.
    /// </summary>
    public static RunRecord Create(string kind, string name, Workbook workbook, JsonObject config, JsonObject metrics,
        string? synthBenchVersion)
    {
        config = RelativePaths(config, workbook);
        var hash = ConfigHash(config);
        var runId = $"{kind}-{Slug(name)}-{hash}";
        return new RunRecord(runId, kind, workbook.Mode.ToString().ToLowerInvariant(), hash, synthBenchVersion,
            GitCommit(workbook.Root), MachineDescription(), DateTimeOffset.UtcNow, config, metrics);
    }

    static JsonObject RelativePaths(JsonObject config, Workbook workbook)
    {
        JsonNode? Walk(JsonNode? node) => node switch
        {
            JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(p.Key, Walk(p.Value)))),
            JsonArray a => new JsonArray(a.Select(Walk).ToArray()),
            JsonValue v when v.TryGetValue<string>(out var text) => JsonValue.Create(workbook.RelativeText(text)),
            _ => node?.DeepClone(),
        };
        return (JsonObject)Walk(config)!;
    }

    public string Write(RunRecord record)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, record.RunId + ".json");
        var temporary = path + ".tmp";
        // Compact: a record carries every test pair's scores and per-criterion tables, and indented it took about 100 kB,
        // twice the size, which over notebook 04's 200-odd cells would have put results/ past 30 MB.
        File.WriteAllText(temporary, record.ToJson().ToJsonString() + "\n");
        File.Move(temporary, path, overwrite: true);
        return path;
    }

    public IReadOnlyList<RunRecord> ReadAll(string? kind = null) =>
        ReadAllWithPaths().Select(entry => entry.Record).Where(record => kind is null || record.Kind == kind).ToList();

    /// <summary>Every run record in the folder with the file it came from, in file-name order. A JSON file without
    /// <c>run_id</c> is another kind of report that lives beside the records (the bench's performance.json) and is
    /// skipped; a file with one must be a whole record, or the error names the file and the field.</summary>
    public IReadOnlyList<(RunRecord Record, string Path)> ReadAllWithPaths()
    {
        if (!System.IO.Directory.Exists(Directory)) return [];
        var records = new List<(RunRecord, string)>();
        foreach (var file in System.IO.Directory.GetFiles(Directory, "*.json").Order(StringComparer.Ordinal))
        {
            JsonObject json;
            try
            {
                json = JsonNode.Parse(File.ReadAllText(file)) as JsonObject
                       ?? throw new InvalidDataException($"{file}: not a JSON object");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{file}: not valid JSON ({e.Message})", e);
            }
            if (!json.ContainsKey("run_id")) continue;
            records.Add((RunRecord.FromJson(json, file), file));
        }
        return records;
    }

    public static string ConfigHash(JsonObject config) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Canonical(config).ToJsonString())))[..12].ToLowerInvariant();

    /// <summary>The same JSON with object keys sorted at every level, so that the hash ignores key order.</summary>
    static JsonNode? Canonical(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, Canonical(p.Value)))),
        JsonArray a => new JsonArray(a.Select(Canonical).ToArray()),
        null => null,
        _ => node.DeepClone(),
    };

    static string Slug(string text) =>
        new string(text.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray()).Trim('-').Replace("--", "-");

    /// <summary>The commit the run was made from (with "+dirty" when the working tree had changes), or "unknown".</summary>
    public static string GitCommit(string root)
    {
        try
        {
            string Git(string arguments)
            {
                var start = new ProcessStartInfo("git", arguments)
                {
                    WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
                };
                using var process = Process.Start(start)!;
                var output = process.StandardOutput.ReadToEnd().Trim();
                process.WaitForExit(10_000);
                return process.ExitCode == 0 ? output : "";
            }
            var commit = Git("rev-parse --short=12 HEAD");
            if (commit.Length == 0) return "unknown";
            return Git("status --porcelain --untracked-files=no").Length > 0 ? commit + "+dirty" : commit;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }

    public static string MachineDescription()
    {
        var cpu = "unknown CPU";
        if (File.Exists("/proc/cpuinfo"))
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? cpu;
        return $"{RuntimeInformation.OSDescription}; {cpu}; {Environment.ProcessorCount} cores; {RuntimeInformation.FrameworkDescription}";
    }
}
