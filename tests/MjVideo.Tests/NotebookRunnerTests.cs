using System.Text.Json.Nodes;
using MjVideo.Core;
using MjVideo.Workflow;

namespace MjVideo.Tests;

/// <summary>The notebook runner must fail fast, name the failing cell, and leave the input notebook untouched.</summary>
public class NotebookRunnerTests
{
    static string NotebookJson(params string[] codeCells)
    {
        var cells = new JsonArray(codeCells.Select(code => (JsonNode)new JsonObject
        {
            ["cell_type"] = "code",
            ["execution_count"] = null,
            ["metadata"] = new JsonObject { ["polyglot_notebook"] = new JsonObject { ["kernelName"] = "csharp" } },
            ["outputs"] = new JsonArray(),
            ["source"] = new JsonArray(code),
        }).ToArray());
        return new JsonObject
        {
            ["cells"] = cells,
            ["metadata"] = new JsonObject
            {
                ["kernelspec"] = new JsonObject { ["display_name"] = ".NET (C#)", ["language"] = "C#", ["name"] = ".net-csharp" },
                ["polyglot_notebook"] = new JsonObject { ["kernelInfo"] = new JsonObject { ["defaultKernelName"] = "csharp" } },
            },
            ["nbformat"] = 4,
            ["nbformat_minor"] = 5,
        }.ToJsonString();
    }

    static async Task<(NotebookRun Run, List<string> Log, string Dir)> RunAsync(string json)
    {
        var root = RepoPaths.NewTempDir("runner");
        // A throwaway workbook: its own notebooks/ folder, with the real runner.
        File.WriteAllText(Path.Combine(root, "MjVideo.Lib.csproj"), "<Project />");
        var runnerDir = Path.Combine(root, "tools", "NbRunner", "bin", "Release", "net10.0");
        Directory.CreateDirectory(Path.GetDirectoryName(runnerDir)!);
        CopyDirectory(Path.Combine(RepoPaths.Root, "tools", "NbRunner", "bin", "Release", "net10.0"), runnerDir);
        Directory.CreateDirectory(Path.Combine(root, "notebooks"));
        File.WriteAllText(Path.Combine(root, "notebooks", "99-probe.ipynb"), json);
        var workbook = new Workbook(root, RunMode.Quick, Path.Combine(root, "scratch"));
        var suite = new NotebookSuite(workbook);
        var log = new List<string>();
        var run = await suite.RunAsync(suite.Discover().Single(), line => { lock (log) log.Add(line); });
        return (run, log, root);
    }

    static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(dir.Replace(from, to));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, file.Replace(from, to), overwrite: true);
    }

    [Fact]
    public async Task A_throwing_cell_fails_the_run_and_names_the_cell()
    {
        var json = NotebookJson("var x = 1 + 1;", "throw new InvalidOperationException(\"boom from cell two\");", "Console.WriteLine(\"never\");");
        var (run, log, root) = await RunAsync(json);
        Assert.False(run.Passed);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains(log, l => l.Contains("cell 2 failed") && l.Contains("boom from cell two"));
        Assert.DoesNotContain(log, l => l.Contains("never"));
        // Quick mode writes the executed copy to scratch and leaves the input alone.
        Assert.Equal(json, File.ReadAllText(Path.Combine(root, "notebooks", "99-probe.ipynb")));
        Assert.True(File.Exists(Path.Combine(root, "scratch", "notebooks", "99-probe.ipynb")));
    }

    [Fact]
    public async Task A_compile_error_fails_the_run()
    {
        var (run, log, _) = await RunAsync(NotebookJson("int y = \"not an int\";"));
        Assert.False(run.Passed);
        Assert.Contains(log, l => l.Contains("cell 1 failed") && l.Contains("CS0029"));
    }

    [Fact]
    public async Task A_passing_notebook_records_its_outputs()
    {
        var (run, _, root) = await RunAsync(NotebookJson("Console.WriteLine(\"hello from the probe\");", "6 * 7"));
        Assert.True(run.Passed);
        Assert.True(run.PeakRssBytes > 0);
        var executed = File.ReadAllText(Path.Combine(root, "scratch", "notebooks", "99-probe.ipynb"));
        Assert.Contains("hello from the probe", executed);
        Assert.Contains("42", executed);
    }
}
