using System.Text.Json.Nodes;
using MjVideo.Core;
using MjVideo.Workflow;

namespace MjVideo.Tests;

/// <summary>Notebook 05 is part of the suite that `mjvideo notebooks` and `mjvideo reproduce` run, and it opens with the
/// same prelude as the other notebooks.</summary>
public class TuningNotebookTests
{
    const string Notebook = "05-preference-tuning.ipynb";

    static JsonArray Cells(string notebook) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Notebooks, notebook)))!["cells"]!.AsArray();

    static string Source(JsonNode cell) => string.Concat(cell["source"]!.AsArray().Select(l => l!.GetValue<string>()));

    [Fact]
    public void The_suite_finds_notebook_05_with_its_own_budget()
    {
        var spec = new NotebookSuite(new Workbook(RepoPaths.Root, RunMode.Quick, RepoPaths.NewTempDir("suite"))).Discover("05-").Single();
        Assert.Equal(Notebook, spec.FileName);
        Assert.Contains(NotebookSuite.Budgets, b => b.FileName == Notebook && b == spec);
    }

    [Fact]
    public void Its_prelude_is_notebook_02s_and_its_hypotheses_come_before_the_run()
    {
        // Cells 1-3: the import of the shared setup, the usings, the parameter cell (whose comment states each notebook's cost).
        var mine = Cells(Notebook);
        var reference = Cells("02-baseline-evaluation.ipynb");
        for (var i = 1; i <= 2; i++) Assert.Equal(Source(reference[i]!), Source(mine[i]!));
        static string Code(string source) => string.Join("\n", source.Split('\n').Where(l => !l.TrimStart().StartsWith("//")));
        Assert.Equal(Code(Source(reference[3]!)), Code(Source(mine[3]!)));
        // The hypotheses come before the first cell that runs the experiment.
        var hypotheses = mine.Select((c, i) => (c, i)).First(p => Source(p.c!).Contains("## Hypotheses")).i;
        var run = mine.Select((c, i) => (c, i)).First(p => Source(p.c!).Contains("TuningExperiment.RunAsync")).i;
        Assert.True(hypotheses < run);
    }
}
