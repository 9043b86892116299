using MjVideo.Core;
using MjVideo.Workflow;

namespace MjVideo.Tests;

public class WorkbookTests
{
    [Fact]
    public void Quick_mode_writes_to_scratch_and_full_mode_to_the_repository()
    {
        var scratch = RepoPaths.NewTempDir("scratch");
        var quick = new Workbook(RepoPaths.Root, RunMode.Quick, scratch);
        Assert.StartsWith(scratch, quick.FiguresDir);
        Assert.StartsWith(scratch, quick.ResultsDir);
        Assert.Equal(Workbook.QuickBanner, quick.Banner);
        var full = quick with { Mode = RunMode.Full };
        Assert.Equal(Path.Combine(RepoPaths.Root, "figures"), full.FiguresDir);
        Assert.Equal("", full.Banner);
    }

    [Theory]
    [InlineData("quick", RunMode.Quick)]
    [InlineData(" FULL ", RunMode.Full)]
    [InlineData(null, null)]
    public void Mode_parses_from_the_environment_value(string? text, RunMode? expected) =>
        Assert.Equal(expected, Workbook.ParseMode(text));

    [Fact]
    public void An_unknown_mode_is_an_error_naming_the_variable()
    {
        var error = Assert.Throws<ArgumentException>(() => Workbook.ParseMode("fast"));
        Assert.Contains(Workbook.ModeVariable, error.Message);
    }

    [Fact]
    public void Notebook_source_hash_ignores_outputs_but_not_sources()
    {
        var dir = RepoPaths.NewTempDir("hash");
        string Write(string name, string source, string output)
        {
            var path = Path.Combine(dir, name);
            File.WriteAllText(path, $$"""{"cells":[{"cell_type":"code","source":["{{source}}"],"outputs":[{"text":"{{output}}"}]}]}""");
            return path;
        }
        var a = ReproduceState.NotebookSourceHash(Write("a.ipynb", "1+1", "2"));
        var b = ReproduceState.NotebookSourceHash(Write("b.ipynb", "1+1", "something else"));
        var c = ReproduceState.NotebookSourceHash(Write("c.ipynb", "1+2", "2"));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Reproduce_state_survives_a_reload_and_checks_the_fingerprint()
    {
        var path = Path.Combine(RepoPaths.NewTempDir("state"), "state.json");
        ReproduceState.Load(path).MarkDone("00-quickstart.ipynb", "abc");
        var reloaded = ReproduceState.Load(path);
        Assert.True(reloaded.IsDone("00-quickstart.ipynb", "abc"));
        Assert.False(reloaded.IsDone("00-quickstart.ipynb", "changed"));
        Assert.False(reloaded.IsDone("01-dataset-exploration.ipynb", "abc"));
    }
}
