using System.Text.Json.Nodes;
using Plotly.NET;
using MjVideo.Reports;
using MjVideo.Taxonomy;

namespace MjVideo.Experiments;

/// <summary>The charts of notebooks 03 and 04, each from result rows or records (one line per notebook cell).</summary>
public static class ExperimentCharts
{
    /// <summary>Strict accuracy (%) of each row with its interval, one series per rule family.</summary>
    public static GenericChart Accuracy(IEnumerable<ResultRow> rows, string title, string metric = "overall.strict")
    {
        var series = rows.Where(r => r.Ran).GroupBy(r => r.Family).Select(g =>
        {
            var list = g.ToList();
            var estimates = list.Select(r => r.Metric(metric)).ToList();
            return (g.Key, list.Select(r => r.Name).ToArray(), estimates.Select(e => 100 * e.Value).ToArray(),
                estimates.Select(e => 100 * (e.HasInterval ? e.Low : e.Value)).ToArray(),
                estimates.Select(e => 100 * (e.HasInterval ? e.High : e.Value)).ToArray());
        });
        return Charts.Intervals(series, title, "strict accuracy (%)");
    }

    /// <summary>The loss trace of a head run's record (metrics.training.loss_trace), one line per stage.</summary>
    public static GenericChart LossCurves(RunRecord record, string title)
    {
        var trace = record.Metrics["training"]?["loss_trace"]?.AsArray() ?? throw new InvalidDataException($"record {record.RunId} has no loss trace");
        var points = trace.Select(p => p!.AsArray()).Select(p => (Step: p[0]!.GetValue<double>(), Stage: p[1]!.GetValue<int>(), Loss: p[2]!.GetValue<double>()));
        return Charts.Lines(points.GroupBy(p => p.Stage).Select(g => ($"stage {g.Key}", g.Select(p => p.Step).ToArray(), g.Select(p => p.Loss).ToArray())),
            title, "optimizer step", "stage loss (train)");
    }

    /// <summary>Val strict accuracy after every epoch (metrics.training.history), one series per record.</summary>
    public static GenericChart ValAccuracy(IEnumerable<(string Name, RunRecord Record)> runs, string title) =>
        Charts.Lines(runs.Select(r =>
        {
            var history = r.Record.Metrics["training"]?["history"]?.AsArray() ?? [];
            var points = history.Select(h => (Step: h!["step"]?.GetValue<double>() ?? 0, Acc: h["val_strict"]?.GetValue<double>() ?? double.NaN))
                .Where(p => double.IsFinite(p.Acc)).ToList();
            return (r.Name, points.Select(p => p.Step).ToArray(), points.Select(p => 100 * p.Acc).ToArray());
        }), title, "optimizer step", "val strict accuracy (%)");

    /// <summary>The routers' raw scales after every epoch (metrics.training.gate_scales).</summary>
    public static GenericChart GateScales(IEnumerable<(string Name, RunRecord Record)> runs, string title) =>
        Charts.Lines(runs.SelectMany(r =>
        {
            var points = (r.Record.Metrics["training"]?["gate_scales"]?.AsArray() ?? []).Select(p => p!).ToList();
            (string, double[], double[]) Series(string which) => ($"{r.Name}: lambda_{which}",
                points.Where(p => p[which == "crit" ? "criteria" : "aspect"] is not null).Select(p => p["step"]!.GetValue<double>()).ToArray(),
                points.Where(p => p[which == "crit" ? "criteria" : "aspect"] is not null)
                    .Select(p => p[which == "crit" ? "criteria" : "aspect"]!.GetValue<double>()).ToArray());
            return new[] { Series("crit"), Series("asp") };
        }), title, "optimizer step", "raw scale (the forward clamps it at 1)");

    /// <summary>Per aspect, the mean normalised gate over captions that emphasise the aspect and over those that do not
    /// (metrics.routing.emphasis of one record per family).</summary>
    public static GenericChart Emphasis(IEnumerable<(string Name, RunRecord Record)> runs, string title) =>
        Charts.GroupedBars(MjTaxonomy.Aspects.Select(a => a.DisplayName),
            runs.SelectMany(r =>
            {
                var rows = (r.Record.Metrics["routing"]?["emphasis"]?.AsArray() ?? []).Select(e => e!).ToList();
                double[] Column(string field) => MjTaxonomy.Aspects.Select(a => rows.FirstOrDefault(e => e["aspect"]?.GetValue<string>() == a.DisplayName)?[field]
                    is JsonNode v ? v.GetValue<double>() : double.NaN).ToArray();
                return new[] { ($"{r.Name}: emphasised", Column("emphasised")), ($"{r.Name}: not emphasised", Column("not_emphasised")) };
            }), title, "mean aspect gate (normalised)");

    /// <summary>The pre-training loss of each encoder, smoothed over a window of steps.</summary>
    public static GenericChart Pretraining(IEnumerable<PretrainReport> reports, string title, int window = 10) =>
        Charts.Lines(reports.Select(r =>
        {
            var totals = r.Trace.Select(s => s.Terms[NeutralObjective.Total]).ToArray();
            var smooth = totals.Select((_, i) => totals.Skip(Math.Max(0, i - window + 1)).Take(Math.Min(window, i + 1)).Average()).ToArray();
            var x = r.Trace.Select(s => (double)s.Step).ToArray();
            var stride = Math.Max(1, x.Length / 200);
            return ($"{r.BackboneId} seed {r.Seed}", x.Where((_, i) => i % stride == 0).ToArray(), smooth.Where((_, i) => i % stride == 0).ToArray());
        }), title, "step", "pre-training loss (weighted sum, moving mean)");
}
