using MjVideo.Data;
using MjVideo.Experiments;
using MjVideo.Synth;
using MjVideo.Taxonomy;
using static MjVideo.Tests.BaselineTestKit;

namespace MjVideo.Tests;

/// <summary>The oracle-input states: what a perfect encoder would hand the head, standardised on the training videos.</summary>
public class ExperimentOracleInputTests
{
    static (PreferenceDataset Dataset, SynthOracle Oracle) Split(string split, int pairs, long seed)
    {
        var config = new SynthConfig(split, pairs, Seed: seed);
        var weights = PreferenceRules.AnnotatorWeights(config.Seed);
        var generated = Enumerable.Range(0, pairs).Select(i => SynthBenchGenerator.GeneratePair(config, i, weights)).ToList();
        var file = $"/synth/additive/{split}.json";
        var dataset = Input(generated.Select(p => p.ToPreferencePair(RuleFamily.Additive, file, split)).ToList(), file).Dataset;
        return (dataset, SynthOracle.Build(config, RuleFamily.Additive, generated, weights));
    }

    [Fact]
    public void The_raw_vector_is_the_severities_then_the_caption_weights_then_the_relevance_flags()
    {
        var (_, oracle) = Split("train", 3, seed: 4);
        var pair = oracle.Pairs[1];
        var raw = OracleInputStates.Raw(pair, 1);
        Assert.Equal(OracleInputStates.Size, raw.Length);
        Assert.Equal(61, OracleInputStates.Size);
        for (var c = 0; c < MjTaxonomy.CriterionCount; c++) Assert.Equal((float)pair.Video1.CriterionSeverity[c], raw[c]);
        for (var a = 0; a < MjTaxonomy.AspectCount; a++) Assert.Equal((float)pair.CaptionAspectWeights[a], raw[MjTaxonomy.CriterionCount + a]);
        for (var c = 0; c < MjTaxonomy.CriterionCount; c++)
            Assert.Equal(pair.Related[c] ? 1f : 0f, raw[MjTaxonomy.CriterionCount + MjTaxonomy.AspectCount + c]);
    }

    [Fact]
    public void Every_video_is_standardised_with_the_training_videos_mean_and_spread()
    {
        var train = Split("train", 12, seed: 4);
        var val = Split("val", 5, seed: 5);
        var vectors = OracleInputStates.Build([train, val]);

        var trainRaw = train.Dataset.Pairs.SelectMany(p => new[] { 0, 1 }.Select(v => (Id: p.VideoPath(v), Raw: OracleInputStates.Raw(train.Oracle.Pairs[p.Index], v))))
            .DistinctBy(x => x.Id).ToList();
        Assert.Equal(trainRaw.Count + 2 * val.Dataset.Pairs.Count, vectors.Count);
        var spread = 0;
        for (var d = 0; d < OracleInputStates.Size; d++)
        {
            var column = trainRaw.Select(x => (double)x.Raw[d]).ToList();
            var mean = column.Average();
            var std = Math.Sqrt(column.Sum(x => (x - mean) * (x - mean)) / (column.Count - 1));
            var standardised = trainRaw.Select(x => (double)vectors[x.Id][d]).ToList();
            if (std < 1e-9)
            {
                Assert.All(standardised, x => Assert.Equal(0, x));
                continue;
            }
            spread++;
            Assert.Equal(0, standardised.Average(), 4);
            // A val video uses the training mean and spread, not its own.
            var valPair = val.Dataset.Pairs[0];
            Assert.Equal((OracleInputStates.Raw(val.Oracle.Pairs[valPair.Index], 0)[d] - mean) / std, vectors[valPair.VideoPath(0)][d], 4);
        }
        Assert.True(spread > 20, $"only {spread} of {OracleInputStates.Size} dimensions vary over 24 training videos");
    }

    [Fact]
    public void A_pair_missing_from_the_oracle_file_or_with_another_caption_is_named()
    {
        var train = Split("train", 4, seed: 4);
        var last = train.Dataset.Pairs[^1].Index;
        var shorter = train.Oracle with { Pairs = train.Oracle.Pairs.Where(p => p.Index != last).ToList() };
        var missing = Assert.Throws<InvalidDataException>(() => OracleInputStates.Build([(train.Dataset, shorter)]));
        Assert.Contains($"pair {last} has no entry in its oracle file", missing.Message);

        var other = Split("train", 4, seed: 9);
        var wrong = Assert.Throws<InvalidDataException>(() => OracleInputStates.Build([(train.Dataset, other.Oracle)]));
        Assert.Contains("its oracle entry", wrong.Message);
    }

    [Fact]
    public void Discarded_pairs_are_skipped_by_index()
    {
        var train = Split("train", 6, seed: 4);
        var kept = train.Dataset with { Pairs = train.Dataset.Pairs.Where((_, i) => i != 2).ToList() };
        var vectors = OracleInputStates.Build([(kept, train.Oracle)]);
        var pair = kept.Pairs[2];
        Assert.Equal(3, pair.Index);
        Assert.Equal(2 * kept.Pairs.Count, vectors.Count);
        Assert.NotNull(vectors[pair.VideoPath(1)]);
    }
}
