using System.Text.Json.Nodes;
using MjVideo.Experiments;
using MjVideo.Reports;

namespace MjVideo.Tests;

/// <summary>What notebook 03 says about the aspect gate: collapse is judged per seed, so seeds that collapse onto
/// different aspects are not reported as a spread gate.</summary>
public class ExperimentGateWordsTests
{
    static RunRecord Record(double[] gate, double captionR) => new("eval-x", "eval", "quick", "h", "synthbench-v1", "c", "m", DateTimeOffset.UnixEpoch,
        new JsonObject(), new JsonObject
        {
            ["routing"] = new JsonObject
            {
                ["mean_aspect_gate"] = new JsonArray(gate.Select(g => (JsonNode?)JsonValue.Create(g)).ToArray()),
                ["caption_weight_correlation"] = captionR,
            },
        });

    [Fact]
    public void Seeds_that_collapse_onto_different_aspects_are_counted_as_collapsed()
    {
        // Seed 0: 71% / 29% on Alignment and Fineness (two aspects, 100%); seed 1: 95% on Coherence; seed 2 spread.
        var row = new ResultRow("additive", "MJ-Video", MainComparison.MoeGroup,
        [
            Record([0.71, 0, 0.29, 0, 0], 0.2),
            Record([0.02, 0, 0.02, 0.95, 0.01], 0.1),
            Record([0.3, 0.1, 0.2, 0.2, 0.2], 0.3),
        ]);
        var line = Assert.Single(ExperimentTables.GateWords([row]));
        Assert.Contains("collapsed in 2 of 3 seed(s) (Alignment + Fineness; Coherence & Consistency", line);
        Assert.Contains("r = 0.20", line);
        Assert.DoesNotContain("under 2%", line);

        var spread = new ResultRow("additive", "MJ-Video", MainComparison.MoeGroup, [Record([0.3, 0.0, 0.35, 0.35, 0.0], 0.1)]);
        var words = Assert.Single(ExperimentTables.GateWords([spread]));
        Assert.Contains("no seed's gate sits on one or two aspects", words);
        Assert.Contains("under 2% on Safety and Bias & Fairness", words);
    }
}
