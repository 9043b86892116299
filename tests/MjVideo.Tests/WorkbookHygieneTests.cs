using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace MjVideo.Tests;

/// <summary>
/// What a reader of the repository on GitHub sees: every notebook cell has an id (nbformat 4.5), committed outputs and
/// results/ records name no folder of the machine they ran on, no embedded image is over 300 kB, and the README, docs/
/// and notebooks cite only files inside the repository.
/// </summary>
public static class Hygiene
{
    public const int MaxEmbeddedImageBytes = 300_000;

    /// <summary>
    /// An absolute path: a slash-led path of two or more components that does not continue a word, a URL or a relative
    /// path, or a Windows drive path. System folders every Linux machine has are allowed; so is the temp folder where
    /// <paramref name="allowTemp"/> (benchmark records name their scratch files).
    /// </summary>
    static readonly Regex AbsolutePath = new(@"(?<![\w.:/~\\$%+=-])(/[A-Za-z0-9_.@+-]+/[A-Za-z0-9_.@+-]+|[A-Za-z]:\\[A-Za-z0-9_. -]+\\)");
    static readonly string[] SystemRoots = ["/usr/", "/bin/", "/dev/", "/proc/", "/etc/", "/lib/", "/sys/"];

    public static IEnumerable<string> MachinePaths(string text, bool allowTemp = false) =>
        AbsolutePath.Matches(text).Select(m => m.Value)
            .Where(p => !SystemRoots.Any(r => p.StartsWith(r, StringComparison.Ordinal)) && !(allowTemp && p.StartsWith("/tmp/", StringComparison.Ordinal)))
            .Distinct();

    /// <summary>Names of documents that are not in the repository (the team's working notes) and phrases that point at them.</summary>
    static readonly Regex OutsideDocument = new(@"\bDESIGN(\.md|\s+\d)|(?i:paper-digest|stack-notes|\bstyle\.md|\bthe issue\b)");

    /// <summary>Markdown links and images with a relative target.</summary>
    static readonly Regex MarkdownLink = new(@"\]\((?<target>[^)\s]+)(\s+""[^""]*"")?\)");

    /// <summary>Problems with what <paramref name="text"/> (a markdown file or cell in <paramref name="folder"/>) cites.</summary>
    public static IEnumerable<string> OutsideCitations(string text, string folder, string repositoryRoot)
    {
        foreach (Match m in OutsideDocument.Matches(text)) yield return $"cites '{m.Value}', which is not in the repository";
        var root = Path.GetFullPath(repositoryRoot) + Path.DirectorySeparatorChar;
        foreach (Match m in MarkdownLink.Matches(text))
        {
            var target = m.Groups["target"].Value;
            if (target.StartsWith('#') || Regex.IsMatch(target, @"^[a-z]+:", RegexOptions.IgnoreCase)) continue;
            var file = Uri.UnescapeDataString(target.Split('#')[0]);
            if (file.Length == 0) continue;
            var full = Path.GetFullPath(Path.Combine(folder, file));
            if (!full.StartsWith(root, StringComparison.Ordinal)) yield return $"links to {target}, outside the repository";
            else if (!File.Exists(full) && !Directory.Exists(full)) yield return $"links to {target}, which does not exist";
        }
    }

    public static IEnumerable<JsonObject> Cells(JsonNode notebook) => notebook["cells"]!.AsArray().Select(c => c!.AsObject());

    public static string Text(JsonNode? node) => node switch
    {
        JsonArray a => string.Concat(a.Select(l => l!.GetValue<string>())),
        JsonValue v => v.GetValue<string>(),
        _ => "",
    };

    /// <summary>Every string value in a JSON tree (image data included, which holds no slash-led path).</summary>
    public static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => Strings(p.Value)),
        JsonArray a => a.SelectMany(Strings),
        JsonValue v when v.TryGetValue<string>(out var text) => [text],
        _ => [],
    };

    public static IEnumerable<string> NotebookProblems(JsonNode notebook, string folder, string repositoryRoot)
    {
        var minor = notebook["nbformat_minor"]?.GetValue<int>() ?? 0;
        if (notebook["nbformat"]?.GetValue<int>() != 4 || minor < 5) yield return $"nbformat 4.{minor}: cell ids need 4.5";
        var ids = new HashSet<string>();
        var index = 0;
        foreach (var cell in Cells(notebook))
        {
            index++;
            var id = cell["id"]?.GetValue<string>();
            if (id is null || !Regex.IsMatch(id, "^[A-Za-z0-9_-]{1,64}$")) yield return $"cell {index} has no valid id";
            else if (!ids.Add(id)) yield return $"cell {index} repeats the id {id}";
            var source = Text(cell["source"]);
            foreach (var problem in OutsideCitations(source, folder, repositoryRoot)) yield return $"cell {index} {problem}";
            foreach (var output in cell["outputs"]?.AsArray() ?? [])
            {
                foreach (var path in MachinePaths(string.Join("\n", Strings(output)))) yield return $"cell {index}: output shows the path {path}";
                foreach (var (mime, value) in output!["data"]?.AsObject() ?? [])
                {
                    if (!mime.StartsWith("image/", StringComparison.Ordinal) || mime == "image/svg+xml") continue;
                    var bytes = Convert.FromBase64String(Regex.Replace(Text(value), @"\s", "")).Length;
                    if (bytes > MaxEmbeddedImageBytes) yield return $"cell {index}: embeds a {mime} of {bytes / 1000} kB (limit {MaxEmbeddedImageBytes / 1000} kB)";
                }
            }
        }
    }
}

public class WorkbookHygieneTests
{
    public static IEnumerable<object[]> Notebooks() =>
        Directory.GetFiles(RepoPaths.Notebooks, "*.ipynb").Order().Select(f => new object[] { Path.GetFileName(f) });

    static readonly string[] Documents = ["README.md", "environment.md"];

    public static IEnumerable<object[]> MarkdownFiles() =>
        Documents.Select(d => Path.Combine(RepoPaths.Root, d))
            .Concat(new[] { "docs", "data", "tools" }.Select(d => Path.Combine(RepoPaths.Root, d)).Where(Directory.Exists)
                .SelectMany(d => Directory.GetFiles(d, "*.md")))
            .Append(Path.Combine(RepoPaths.Notebooks, "setup.dib"))
            .Order().Select(f => new object[] { Path.GetRelativePath(RepoPaths.Root, f) });

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void A_committed_notebook_reads_well_on_github(string notebook)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Notebooks, notebook)))!;
        var problems = Hygiene.NotebookProblems(json, RepoPaths.Notebooks, RepoPaths.Root).ToList();
        Assert.True(problems.Count == 0, $"{notebook}:\n" + string.Join("\n", problems));
    }

    [Theory]
    [MemberData(nameof(MarkdownFiles))]
    public void A_document_cites_only_files_in_the_repository(string file)
    {
        var path = Path.Combine(RepoPaths.Root, file);
        var problems = Hygiene.OutsideCitations(File.ReadAllText(path), Path.GetDirectoryName(path)!, RepoPaths.Root).ToList();
        Assert.True(problems.Count == 0, $"{file}:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void No_results_record_names_a_folder_of_the_machine_it_ran_on()
    {
        var problems = Directory.GetFiles(Path.Combine(RepoPaths.Root, "results"), "*.json")
            .SelectMany(f => Hygiene.MachinePaths(File.ReadAllText(f), allowTemp: true).Select(p => $"{Path.GetFileName(f)}: {p}"))
            .Take(20).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void The_parameter_cell_opens_in_quick_mode_and_says_how_to_switch_and_what_it_costs(string notebook)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Notebooks, notebook)))!;
        var parameters = Hygiene.Cells(json).Select(c => Hygiene.Text(c["source"])).Single(s => s.Contains("var mode = "));
        Assert.Contains("?? RunMode.Quick;", parameters);
        Assert.Contains("`var mode = RunMode.Full;`", parameters);
        Assert.Contains("MJVIDEO_MODE=full", parameters);
        Assert.Matches(@"quick [^;]*(min|GiB)[^;]*; full [^\n]*(min|GiB)", parameters);
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        Assert.Contains($"[{Path.GetFileNameWithoutExtension(notebook)}](notebooks/{notebook})", readme);
    }

    [Fact]
    public void Notebook_00_is_committed_with_its_outputs()
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Notebooks, "00-quickstart.ipynb")))!;
        var code = Hygiene.Cells(json).Where(c => c["cell_type"]!.GetValue<string>() == "code").ToList();
        // Every cell but the usings shows something; the chart is embedded as PNG.
        Assert.True(code.Count(c => c["outputs"]!.AsArray().Count > 0) >= code.Count - 1, "notebook 00 is committed without its outputs");
        Assert.Contains(code, c => c["outputs"]!.ToJsonString().Contains("image/png"));
    }

    // The checks themselves: each catches what it is for.

    static JsonNode Notebook(string cellJson) =>
        JsonNode.Parse($$"""{"cells": [{{cellJson}}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}""")!;

    [Fact]
    public void A_cell_without_an_id_is_caught()
    {
        var problems = Hygiene.NotebookProblems(Notebook("""{"cell_type": "markdown", "metadata": {}, "source": ["# x"]}"""),
            RepoPaths.Notebooks, RepoPaths.Root).ToList();
        Assert.Contains(problems, p => p.Contains("no valid id"));
    }

    [Theory]
    [InlineData("/work/other-tree/figures/03.png")]
    [InlineData("/home/alice/mjvideo/results/x.json")]
    [InlineData("C:\\Users\\bob\\mjvideo\\figures")]
    [InlineData("/tmp/mjvideo-quick/figures/00.png")]
    public void An_output_with_another_machines_path_is_caught(string path)
    {
        var output = new JsonObject { ["output_type"] = "stream", ["name"] = "stdout", ["text"] = $"saved {path} and more" };
        var cell = new JsonObject { ["cell_type"] = "code", ["id"] = "a1", ["metadata"] = new JsonObject(), ["source"] = "1",
            ["outputs"] = new JsonArray(output), ["execution_count"] = 1 };
        var problems = Hygiene.NotebookProblems(Notebook(cell.ToJsonString()), RepoPaths.Notebooks, RepoPaths.Root).ToList();
        Assert.Contains(problems, p => p.Contains("output shows the path"));
    }

    [Theory]
    [InlineData("figures/03.png, ../data/README.md, results -> results, n/a, 8 ms / clip, https://example.org/a/b")]
    [InlineData("/usr/bin/chromium")]
    public void Relative_paths_urls_and_system_tools_are_not_machine_paths(string text) =>
        Assert.Empty(Hygiene.MachinePaths(text));

    [Fact]
    public void An_embedded_image_over_300_kB_is_caught()
    {
        var big = Convert.ToBase64String(new byte[Hygiene.MaxEmbeddedImageBytes + 1]);
        var small = Convert.ToBase64String(new byte[1000]);
        string Cell(string data) => new JsonObject
        {
            ["cell_type"] = "code", ["id"] = "a1", ["metadata"] = new JsonObject(), ["source"] = "1", ["execution_count"] = 1,
            ["outputs"] = new JsonArray(new JsonObject
            {
                ["output_type"] = "display_data", ["metadata"] = new JsonObject(), ["data"] = new JsonObject { ["image/png"] = data },
            }),
        }.ToJsonString();
        Assert.Contains(Hygiene.NotebookProblems(Notebook(Cell(big)), RepoPaths.Notebooks, RepoPaths.Root), p => p.Contains("embeds"));
        Assert.DoesNotContain(Hygiene.NotebookProblems(Notebook(Cell(small)), RepoPaths.Notebooks, RepoPaths.Root), p => p.Contains("embeds"));
    }

    [Theory]
    [InlineData("See [the design](../../shared/DESIGN.md).", "outside the repository")]
    [InlineData("As DESIGN 7 says, the rules are known.", "not in the repository")]
    [InlineData("The heads follow paper-digest 2.2.", "not in the repository")]
    [InlineData("The issue asks for more.", "not in the repository")]
    [InlineData("See [the datasheet](data/NO-SUCH-FILE.md).", "does not exist")]
    public void A_citation_outside_the_repository_is_caught(string text, string expected) =>
        Assert.Contains(Hygiene.OutsideCitations(text, RepoPaths.Root, RepoPaths.Root), p => p.Contains(expected));

    [Fact]
    public void Links_inside_the_repository_pass() =>
        Assert.Empty(Hygiene.OutsideCitations("See [the datasheet](data/DATASHEET.md#ceilings) and [web](https://example.org).",
            RepoPaths.Root, RepoPaths.Root));
}
