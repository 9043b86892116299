using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MjVideo.Core;
using MjVideo.Experiments;
using MjVideo.Reports;

namespace MjVideo.Tests;

/// <summary>
/// The README's results section is generated from results/ only, and every number in it matches the record it links to.
/// The check here is independent of the generator: it parses the Markdown tables, opens the linked records, and recomputes
/// each cell (a record's own value and interval, or the mean over the linked seeds with a Student t interval from its own
/// quantile table).
/// </summary>
public class ExperimentReadmeTests
{
    [Fact]
    public void Every_number_in_the_committed_readme_results_section_matches_its_record()
    {
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        var section = MarkdownSections.Read(readme, ResultsReadme.Section);
        Assert.NotNull(section);
        var problems = Check(section!, RepoPaths.Root);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void A_generated_section_checks_out_and_a_changed_number_is_caught()
    {
        var root = RepoPaths.NewTempDir("readme");
        var results = Path.Combine(root, "results");
        WriteFixtureRecords(new Workbook(root, RunMode.Full, Path.Combine(root, "scratch")), results);
        var section = ResultsReadme.Generate(results, root);

        Assert.Contains("SynthBench results test the method, not the paper's real-world claim", section);
        Assert.Contains("synthbench-v1", section);
        var checkedCells = new List<string>();
        var problems = Check(section, root, checkedCells);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        // Mean of 0.70, 0.72, 0.74 over three seeds: 72.00, half-width 4.303 * 0.02 / sqrt 3 = 4.97 points.
        Assert.Contains("72.00 [67.0, 77.0]", section);
        Assert.Contains(checkedCells, c => c.StartsWith("strict=72.00 [67.0, 77.0]", StringComparison.Ordinal));
        Assert.True(checkedCells.Count >= 12, $"only {checkedCells.Count} cells were checked");

        var tampered = section.Replace("72.00 [67.0, 77.0]", "72.10 [67.0, 77.0]");
        Assert.NotEmpty(Check(tampered, root));

        // The README file itself gets the section between its markers, and nothing else changes.
        var readme = Path.Combine(root, "README.md");
        File.WriteAllText(readme, $"# title\n\n{MarkdownSections.Begin(ResultsReadme.Section)}\nold\n{MarkdownSections.End(ResultsReadme.Section)}\n\ntail\n");
        ResultsReadme.Update(readme, results, root);
        var text = File.ReadAllText(readme);
        Assert.StartsWith("# title\n\n", text);
        Assert.EndsWith("\n\ntail\n", text);
        Assert.Equal(section.TrimEnd('\n'), MarkdownSections.Read(text, ResultsReadme.Section));
    }

    [Fact]
    public void The_figures_of_notebooks_03_and_04_are_linked_and_no_others()
    {
        var root = RepoPaths.NewTempDir("readme-figures");
        var results = Path.Combine(root, "results");
        WriteFixtureRecords(new Workbook(root, RunMode.Full, Path.Combine(root, "scratch")), results);
        var figures = Directory.CreateDirectory(Path.Combine(root, "figures")).FullName;
        foreach (var name in new[] { "03-main-accuracy", "04-routing", "02-baselines", "05-tuning" })
        {
            File.WriteAllText(Path.Combine(figures, name + ".png"), "png");
            File.WriteAllText(Path.Combine(figures, name + ".html"), "html");
        }

        var section = ResultsReadme.Generate(results, root, figures);

        Assert.Contains("- [03-main-accuracy](figures/03-main-accuracy.png) ([interactive](figures/03-main-accuracy.html))", section);
        Assert.Contains("- [04-routing](figures/04-routing.png) ([interactive](figures/04-routing.html))", section);
        Assert.DoesNotContain("02-baselines", section);
        Assert.DoesNotContain("05-tuning", section);
    }

    [Fact]
    public void Without_full_mode_records_the_section_says_so()
    {
        var root = RepoPaths.NewTempDir("readme-empty");
        var section = ResultsReadme.Generate(Path.Combine(root, "results"), root);
        Assert.Contains("No full-mode results yet", section);
        Assert.Empty(Check(section, root));
    }

    // ---- the independent check ----

    static readonly Regex Link = new(@"\[\d+\]\((?<path>results/[^)]+\.json)\)");

    /// <summary>Student t quantiles t(0.975, df) for df = 1..5, from tables.</summary>
    static readonly double[] T975 = [double.NaN, 12.7062, 4.3027, 3.1824, 2.7764, 2.5706];

    static List<string> Check(string section, string root, List<string>? checkedCells = null)
    {
        var problems = new List<string>();
        var lines = section.Split('\n');
        for (var i = 0; i + 1 < lines.Length; i++)
        {
            if (!lines[i].StartsWith('|') || !lines[i + 1].StartsWith("|---")) continue;
            var header = Cells(lines[i]);
            for (var j = i + 2; j < lines.Length && lines[j].StartsWith('|'); j++)
            {
                var row = Cells(lines[j]);
                var records = Link.Matches(row[^1]).Select(m => JsonNode.Parse(File.ReadAllText(Path.Combine(root, m.Groups["path"].Value)))!).ToList();
                if (records.Count == 0)
                {
                    problems.Add($"row without records: {lines[j]}");
                    continue;
                }
                for (var c = 0; c < header.Length - 1; c++)
                {
                    var path = MetricPath(header, row, c);
                    if (path is null) continue;
                    var expected = Expected(records, path, header[c]);
                    checkedCells?.Add($"{header[c]}={row[c]}");
                    if (expected != row[c]) problems.Add($"{header[c]} shows '{row[c]}', its records give '{expected}' (row: {lines[j]})");
                }
            }
        }
        return problems;
    }

    static string[] Cells(string line) => line.Trim().Trim('|').Split(" | ").Select(c => c.Trim()).ToArray();

    /// <summary>Which metric a column shows; null for text columns.</summary>
    static string? MetricPath(string[] header, string[] row, int column)
    {
        var aspect = Array.IndexOf(header, "aspect");
        return header[column] switch
        {
            "strict" when aspect >= 0 => $"aspects.{row[aspect]}.strict",
            "Acc" => $"aspects.{row[aspect]}.acc",
            "F1" => $"aspects.{row[aspect]}.macro_f1",
            "strict" => "overall.strict",
            "tie-aware" => "overall.tie_aware",
            "strict (clean)" => "overall_clean.strict",
            "difference" => "difference",
            "relative" => "relative_gain",
            "seeds" => "#seeds",
            "n" => "overall.strict.n",
            _ => null,
        };
    }

    static string Expected(IReadOnlyList<JsonNode> records, string path, string column)
    {
        if (path == "#seeds") return records.Count.ToString(CultureInfo.InvariantCulture);
        JsonNode? At(JsonNode record, string p) => p.Split('.').Aggregate((JsonNode?)record["metrics"], (node, part) => node?[part]);
        if (records.Any(r => r["metrics"]?["ran"]?.GetValue<bool>() == false))
        {
            if (path.EndsWith(".n", StringComparison.Ordinal)) return "0";
            var reason = records[0]["metrics"]!["not_run_reason"]!.GetValue<string>();
            return reason.StartsWith("not run", StringComparison.Ordinal) ? reason : $"not run ({reason})";
        }
        if (path.EndsWith(".n", StringComparison.Ordinal)) return At(records[0], path)!.GetValue<int>().ToString(CultureInfo.InvariantCulture);
        if (path == "relative_gain")
        {
            var gain = At(records[0], path)!.GetValue<double>();
            return (gain >= 0 ? "+" : "") + (100 * gain).ToString("F2", CultureInfo.InvariantCulture) + "%";
        }
        static string P(double x, int d) => (100 * x).ToString("F" + d, CultureInfo.InvariantCulture);
        if (records.Count == 1)
        {
            var estimate = At(records[0], path)!;
            var value = estimate["value"];
            if (value is null) return "undefined";
            var interval = estimate["ci95"]!.AsArray();
            return interval[0] is null ? $"{P(value.GetValue<double>(), 2)} [no interval]"
                : $"{P(value.GetValue<double>(), 2)} [{P(interval[0]!.GetValue<double>(), 1)}, {P(interval[1]!.GetValue<double>(), 1)}]";
        }
        // A metric undefined on any seed (an F1 whose class never occurs in a seed's predictions) has no mean.
        if (records.Any(r => At(r, path)?["value"] is null)) return "undefined";
        var values = records.Select(r => At(r, path)!["value"]!.GetValue<double>()).ToArray();
        var mean = values.Average();
        var sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
        var half = T975[values.Length - 1] * sd / Math.Sqrt(values.Length);
        return $"{P(mean, 2)} [{P(mean - half, 1)}, {P(mean + half, 1)}]";
    }

    // ---- fixture records, written as the experiments write them ----

    static JsonObject Estimate(double value, double low, double high, int n) => new()
    {
        ["value"] = value, ["ci95"] = new JsonArray(low, high), ["n"] = n, ["method"] = "fixture",
    };

    static JsonObject Overall(double strict) => new()
    {
        ["strict"] = Estimate(strict, strict - 0.05, strict + 0.05, 280),
        ["tie_aware"] = Estimate(strict + 0.01, strict - 0.04, strict + 0.06, 280),
        ["tie_calibrated"] = Estimate(strict, strict - 0.05, strict + 0.05, 300),
    };

    static void WriteFixtureRecords(Workbook workbook, string results)
    {
        var store = new ResultsStore(results);
        void Write(string kind, string key, JsonObject experiment, JsonObject metrics)
        {
            experiment["key"] = key;
            experiment["spec_hash"] = "fixture";
            var config = new JsonObject
            {
                ["data"] = new JsonObject { ["synthbench_config"] = "abc123", ["test_pairs"] = 300 },
                [ExperimentLedger.ExperimentField] = experiment,
            };
            store.Write(ResultsStore.Create(kind, key.Replace('/', '-'), workbook, config, metrics, "synthbench-v1"));
        }
        JsonObject Head(string experiment, string family, long seed, string display) => new()
        {
            ["experiment"] = experiment, ["family"] = family, ["seed"] = seed, ["display"] = display,
            ["backbone"] = new JsonObject { ["encoder"] = "tiny-v1-h128 (fixture)" },
        };
        JsonObject Metrics(double strict, bool aspects) => new()
        {
            ["ran"] = true,
            ["overall"] = Overall(strict),
            ["overall_clean"] = Overall(strict + 0.03),
            ["aspects"] = aspects ? new JsonObject
            {
                ["Alignment"] = new JsonObject
                {
                    ["acc"] = Estimate(0.8, 0.75, 0.85, 500), ["macro_f1"] = Estimate(0.6, 0.55, 0.65, 500), ["strict"] = Estimate(0.7, 0.6, 0.8, 60),
                },
            } : null,
        };
        for (var seed = 0; seed < 3; seed++)
        {
            Write("eval", $"main/additive/mjvideo/8-paper/seed-{seed}", Head("main", "additive", seed, "MJ-Video (input-aware)"), Metrics(0.70 + 0.02 * seed, true));
            Write("eval", $"main/additive/bt-single/8-paper/seed-{seed}", Head("main", "additive", seed, "Bradley-Terry single head"), Metrics(0.61 + 0.01 * seed, false));
        }
        Write("eval", "main/additive/reference/control-random", new JsonObject { ["experiment"] = "main", ["family"] = "additive", ["group"] = "Control", ["display"] = "Control: random" },
            Metrics(0.5, false));
        Write("eval", "main/additive/reference/vlm-judge", new JsonObject { ["experiment"] = "main", ["family"] = "additive", ["group"] = "Vlm", ["display"] = "VLM judge" },
            new JsonObject { ["ran"] = false, ["not_run_reason"] = "not run (no endpoint)" });
        Write("comparison", "main/additive/comparison/published",
            new JsonObject { ["experiment"] = "main", ["family"] = "additive", ["labels"] = "published", ["other"] = "Bradley-Terry single head" },
            new JsonObject { ["difference"] = Estimate(0.1, 0.05, 0.15, 3), ["relative_gain"] = 0.1639 });
        for (var seed = 0; seed < 2; seed++)
            Write("eval", $"ablation-routing/additive/mjvideo-routing-uniform/8-paper/seed-{seed}",
                Head("ablation-routing", "additive", seed, "MJ-Video (uniform)"), Metrics(0.64 + 0.02 * seed, false));
        Write("eval", "e2e/additive/stages-3/seed-0", Head("e2e", "additive", 0, "MJ-Video end to end (stages 3)"), Metrics(0.55, true));
    }
}
