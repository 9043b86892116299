using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MjVideo.Workflow;

/// <summary>
/// Makes `mjvideo reproduce` resumable. A step counts as done when it finished under the same fingerprint: the hash of
/// the built library and of the step's own inputs (for a notebook, its cells' sources, not its outputs). An interrupted
/// run therefore continues where it stopped, and a changed notebook or library reruns what depends on it.
/// </summary>
public sealed class ReproduceState
{
    readonly string path;
    readonly Dictionary<string, string> done;

    ReproduceState(string path, Dictionary<string, string> done)
    {
        this.path = path;
        this.done = done;
    }

    public static ReproduceState Load(string path)
    {
        if (!File.Exists(path)) return new ReproduceState(path, new());
        var parsed = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path)) ?? new();
        return new ReproduceState(path, parsed);
    }

    public bool IsDone(string step, string fingerprint) => done.TryGetValue(step, out var f) && f == fingerprint;

    public void MarkDone(string step, string fingerprint)
    {
        done[step] = fingerprint;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(done, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temporary, path, overwrite: true);
    }

    public void Clear()
    {
        done.Clear();
        if (File.Exists(path)) File.Delete(path);
    }

    public static string Sha256(params string[] parts)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\u001f", parts)));
        return Convert.ToHexString(hash)[..16].ToLowerInvariant();
    }

    public static string FileSha256(string file) =>
        File.Exists(file) ? Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)))[..16].ToLowerInvariant() : "absent";

    /// <summary>Hash of a notebook's cell types and sources, ignoring outputs and execution counts.</summary>
    public static string NotebookSourceHash(string notebookPath)
    {
        var notebook = JsonNode.Parse(File.ReadAllText(notebookPath))!;
        var builder = new StringBuilder();
        foreach (var cell in notebook["cells"]!.AsArray())
        {
            builder.Append(cell!["cell_type"]!.GetValue<string>()).Append('\u001e');
            var source = cell["source"];
            builder.Append(source is JsonArray lines ? string.Concat(lines.Select(l => l!.GetValue<string>())) : source?.GetValue<string>());
            builder.Append('\u001d');
        }
        // Every notebook imports the shared setup, so a change there re-runs them all.
        var setup = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(notebookPath))!, "setup.dib");
        if (File.Exists(setup)) builder.Append(File.ReadAllText(setup));
        return Sha256(builder.ToString());
    }
}
