using MjVideo.Metrics;
using MjVideo.Taxonomy;

namespace MjVideo.Synth;

/// <summary>One probe's result on test captions: per-emphasis recall and exact-set accuracy, on seen and held-out phrasings.</summary>
public sealed record PhrasingProbeResult(string Probe, int TrainCaptions, Estimate HeldOutRecall, Estimate HeldOutExactSet,
    Estimate SeenRecall, Estimate SeenExactSet);

/// <summary>
/// Are v2's held-out emphasis phrasings readable, and not trivially close to the seen ones? A probe per aspect ("is this
/// aspect emphasised?") is fitted on v2 train captions with the fixed classifier of <see cref="PixelProbe"/> and read on
/// test captions: recall of each emphasis (an emphasis counts when its aspect's probe fires) and the share of captions
/// whose whole emphasised set is recovered, separately for held-out and seen phrasings. Two feature sets: frozen sentence
/// embeddings (MiniLM; the design asks for at least 80% held-out recall) and a bag of the words seen in train (it should
/// fall well short, or the held-out phrasings are paraphrases in name only).
/// </summary>
public static class PhrasingProbe
{
    public static IReadOnlyList<PhrasingProbeResult> Run(IReadOnlyList<CaptionSpec> train, IReadOnlyList<CaptionSpec> test,
        Func<IReadOnlyList<string>, float[][]> embed)
    {
        var vocabulary = train.SelectMany(c => Words(c.Text)).Distinct().OrderBy(w => w, StringComparer.Ordinal).ToList();
        var index = vocabulary.Select((w, i) => (w, i)).ToDictionary(x => x.w, x => x.i);
        double[] Bag(CaptionSpec c)
        {
            var v = new double[vocabulary.Count];
            foreach (var w in Words(c.Text)) if (index.TryGetValue(w, out var i)) v[i] = 1;
            return v;
        }
        double[][] Embeddings(IReadOnlyList<CaptionSpec> captions) =>
            embed(captions.Select(c => c.Text).ToList()).Select(e => e.Select(x => (double)x).ToArray()).ToArray();

        return
        [
            Evaluate("frozen MiniLM embedding", train, Embeddings(train), test, Embeddings(test)),
            Evaluate("bag of train words", train, train.Select(Bag).ToArray(), test, test.Select(Bag).ToArray()),
        ];
    }

    public static IEnumerable<string> Words(string text) =>
        text.ToLowerInvariant().Split([' ', ',', '.', ':', ';', '\''], StringSplitOptions.RemoveEmptyEntries);

    static PhrasingProbeResult Evaluate(string name, IReadOnlyList<CaptionSpec> train, double[][] trainX, IReadOnlyList<CaptionSpec> test, double[][] testX)
    {
        var probes = Enumerable.Range(0, MjTaxonomy.AspectCount)
            .Select(a => PixelProbe.Fit(trainX, train.Select(c => Emphasised(c, a)).ToList())).ToArray();
        var predicted = testX.Select(x => probes.Select(p => p.Score(x) > 0).ToArray()).ToArray();

        (Estimate Recall, Estimate Exact) On(Func<CaptionSpec, int, bool> phrasingFilter)
        {
            int hits = 0, emphases = 0, exact = 0, captions = 0;
            for (var i = 0; i < test.Count; i++)
            {
                var c = test[i];
                if (c.Phrasings is null) continue;
                var ks = Enumerable.Range(0, c.Emphases.Count).Where(k => phrasingFilter(c, k)).ToList();
                if (ks.Count == 0) continue;
                foreach (var k in ks)
                {
                    emphases++;
                    if (predicted[i][c.Emphases[k].AspectIndex()]) hits++;
                }
                captions++;
                if (Enumerable.Range(0, MjTaxonomy.AspectCount).All(a => predicted[i][a] == Emphasised(c, a))) exact++;
            }
            return (Intervals.Wilson(hits, emphases), Intervals.Wilson(exact, captions));
        }
        var heldOut = On((c, k) => EmphasisPhrasings.IsHeldOut(c.Phrasings![k]));
        var seen = On((c, k) => !EmphasisPhrasings.IsHeldOut(c.Phrasings![k]));
        return new PhrasingProbeResult(name, train.Count, heldOut.Recall, heldOut.Exact, seen.Recall, seen.Exact);
    }

    static bool Emphasised(CaptionSpec c, int aspect) => c.Emphases.Any(e => e.AspectIndex() == aspect);
}
