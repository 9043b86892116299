using System.Text.Json.Nodes;
using MjVideo.Core;
using MjVideo.Experiments;
using MjVideo.Reports;

namespace MjVideo.Tests;

public class ResultsStoreTests
{
    static (ResultsStore Store, Workbook Workbook) NewStore()
    {
        var root = RepoPaths.NewTempDir("results-store");
        var workbook = new Workbook(root, RunMode.Full, Path.Combine(root, "scratch"));
        return (new ResultsStore(Path.Combine(root, "results")), workbook);
    }

    [Fact]
    public void Reports_of_other_kinds_beside_the_records_are_skipped_by_the_store_and_the_ledger()
    {
        var (store, workbook) = NewStore();
        var config = new JsonObject { [ExperimentLedger.ExperimentField] = new JsonObject { ["key"] = "main/additive/mjvideo/seed-0", ["spec_hash"] = "abc" } };
        var path = store.Write(ResultsStore.Create("eval", "cell", workbook, config, new JsonObject { ["strict"] = 0.5 }, "synthbench-v1"));
        // The bench's report lives in results/ too and is no run record (this is what broke notebook 03's full run).
        File.WriteAllText(Path.Combine(store.Directory, "performance.json"), """{ "machine": "m", "benches": [] }""");

        Assert.Equal(path, store.ReadAllWithPaths().Single().Path);
        var ledger = new ExperimentLedger(store.Directory);
        Assert.NotNull(ledger.Find("main/additive/mjvideo/seed-0", "abc"));
    }

    [Fact]
    public void A_record_with_a_run_id_but_a_missing_field_is_an_error_naming_file_and_field()
    {
        var (store, _) = NewStore();
        Directory.CreateDirectory(store.Directory);
        var file = Path.Combine(store.Directory, "eval-broken.json");
        File.WriteAllText(file, """{ "run_id": "eval-broken", "kind": "eval", "mode": "full" }""");
        var error = Assert.Throws<InvalidDataException>(() => store.ReadAll());
        Assert.Equal($"{file}: field 'config_hash' is missing or not a string", error.Message);
    }
}

public class PeakMemoryTests
{
    [Theory]
    [InlineData("VmHWM:\t    2028 kB", 2028L * 1024)]
    [InlineData("VmHWM:\t 6096780 kB", 6096780L * 1024)]
    // From 10^7 kB on the kernel leaves no space after the tab (this broke the notebook runner after a 38-minute run).
    [InlineData("VmHWM:\t12345678 kB", 12345678L * 1024)]
    public void Reads_the_status_line_whatever_the_padding(string line, long bytes) =>
        Assert.Equal(bytes, MjVideo.Core.PeakMemory.StatusLineBytes(line));

    [Fact]
    public void A_line_in_another_format_is_an_error_that_quotes_it()
    {
        var error = Assert.Throws<FormatException>(() => MjVideo.Core.PeakMemory.StatusLineBytes("VmHWM: lots"));
        Assert.Contains("'VmHWM: lots'", error.Message);
    }
}
