using MjVideo.Backbones;
using MjVideo.Backbones.Pretrained;
using MjVideo.Backbones.Tiny;
using MjVideo.Data;
using MjVideo.Experiments;
using MjVideo.Taxonomy;
using MjVideo.Video;
using static MjVideo.Tests.BackboneTestKit;
using static TorchSharp.torch;

namespace MjVideo.Tests;

/// <summary>The judge-neutral pre-training: its loss terms, targets, vocabulary, AUC, frame subsets and repeatability.</summary>
public class ExperimentObjectiveTests
{
    [Fact]
    public void Masked_weighted_bce_matches_a_hand_computation()
    {
        // Video 0: entry 0 good with logit 0 (alpha 0.25): 0.25 ln 2; entry 1 bad with logit ln 3 (alpha 0.5): sigmoid(-ln 3) = 1/4,
        // so 0.5 ln 4 = ln 2. Mean over its 2 related entries: 0.625 ln 2. Video 1 has no related entry: 0, never 0/0.
        using var logits = tensor(new[] { 0f, MathF.Log(3), 5f, -5f }, [2, 2]);
        using var good = tensor(new[] { 1f, 0f, 1f, 0f }, [2, 2]);
        using var related = tensor(new[] { 1f, 1f, 0f, 0f }, [2, 2]);
        using var alpha = tensor(new[] { 0.25f, 0.5f }, [1, 2]);
        using var perVideo = NeutralObjective.MaskedWeightedBce(logits, good, related, alpha);
        var values = perVideo.data<float>().ToArray();
        Assert.Equal(0.625 * Math.Log(2), values[0], 5);
        Assert.Equal(0, values[1]);

        // Without alpha both classes weigh 1: plain BCE, ln 2 and ln 4, averaged.
        using var plain = NeutralObjective.MaskedWeightedBce(logits, good, related, null);
        Assert.Equal((Math.Log(2) + Math.Log(4)) / 2, plain.data<float>()[0], 5);
    }

    [Fact]
    public void Prior_logits_are_the_weighted_log_odds_of_the_related_entries()
    {
        // Pooled: column 0 has related positives 3 and negatives 1, alpha 0.25: log(0.25 * 3 / (0.75 * 1)) = 0. Column 1 is
        // related once, bad: the lowest prior. Column 2 is related 4 times, all good: the highest (clamped, not infinite).
        using var good = tensor(new[] { 1f, 0f, 1f, 1f, 1f, 1f, 1f, 0f, 1f, 0f, 0f, 1f }, [4, 3]);
        using var related = tensor(new[] { 1f, 0f, 1f, 1f, 0f, 1f, 1f, 0f, 1f, 1f, 1f, 1f }, [4, 3]);
        using var alpha = tensor(new[] { 0.25f, 0.5f, 0.5f }, [1, 3]);
        using var pooled = NeutralProbes.PriorLogits(good, related, alpha, perVideoMean: false);
        var logits = pooled.data<float>().ToArray();
        Assert.Equal(0, logits[0], 4);
        Assert.Equal(-NeutralProbes.MaxPriorLogit, logits[1], 4);
        Assert.Equal(NeutralProbes.MaxPriorLogit, logits[2], 4);

        // Averaged within each video first: the first three videos' related entries weigh 1 / 2, the last one's 1 / 3, so
        // column 0 has P = 1.5 and N = 1 / 3: log(0.25 * 1.5 / (0.75 / 3)) = log 1.5.
        using var perVideo = NeutralProbes.PriorLogits(good, related, alpha, perVideoMean: true);
        Assert.Equal(Math.Log(1.5), perVideo.data<float>()[0], 4);
    }

    [Fact]
    public void Probes_start_at_the_constant_optimum_of_every_term()
    {
        // With the priors in the biases and zero weights, the probes' first logits are the best constants, so the loss has
        // no gradient on any bias: nothing pushes every video's state the same way (the collapse this prevents).
        using var targets = SyntheticTargets(videos: 64, seed: 3);
        using var probes = new NeutralProbes(16, (int)targets.CaptionWords.shape[1], seed: 1);
        using var alpha = NeutralObjective.PaperAlpha();
        probes.StartAtPriors(targets, alpha);
        using var states = new BackboneOutput(randn(64, 16), randn(64, 16));
        var (loss, _) = NeutralObjective.Loss(states, probes, targets, new NeutralWeights(), alpha);
        loss.backward();
        foreach (var (name, parameter) in probes.named_parameters().Where(p => p.name.EndsWith("bias")))
            Assert.True(parameter.grad!.abs().max().item<float>() < 1e-3, $"{name}: gradient {parameter.grad!.abs().max().item<float>()} at the priors");
        loss.Dispose();
    }

    [Fact]
    public void Probes_read_standardised_states_so_shrinking_them_changes_nothing()
    {
        // The probes standardise each state dimension over the batch: an encoder that shrinks the spread of its states
        // across videos (towards a constant) makes the probes' logits neither smaller nor less noisy, so the objective
        // gives no reward for collapsing. Without the standardisation the logits would shrink with the states.
        using var targets = SyntheticTargets(videos: 32, seed: 4);
        using var probes = new NeutralProbes(16, (int)targets.CaptionWords.shape[1], seed: 2);
        probes.train();
        using var shared = randn(1, 16) * 5;
        using var spread = randn(32, 16);
        using var wide = new BackboneOutput(shared + spread, shared + spread);
        using var narrow = new BackboneOutput(shared + spread * 0.01, shared + spread * 0.01);
        using var noGrad = no_grad();
        var a = probes.Forward(wide).Criteria;
        var b = probes.Forward(narrow).Criteria;
        Assert.True(a.std().item<float>() > 0.1, "the probe's logits vary across videos");
        Assert.True((a - b).abs().max().item<float>() < 1e-2 * a.abs().max().item<float>(),
            $"logits differ by {(a - b).abs().max().item<float>()} when the states' spread is cut a hundredfold");
    }

    static NeutralTargets SyntheticTargets(int videos, int seed)
    {
        var random = new Random(seed);
        var captions = new[] { "a red square", "two blue circles", "a green ring in sharp detail" };
        var vocabulary = new CaptionVocabulary(captions, new CaptionTokenizer(16));
        var rows = Enumerable.Range(0, videos).Select(i =>
        {
            // Mostly good where related, as on SynthBench, so the priors are far from 0.
            var codes = Enumerable.Range(0, MjTaxonomy.CriterionCount)
                .Select(_ => random.NextDouble() < 0.3 ? LabelCode.NotRelated : random.NextDouble() < 0.85 ? LabelCode.Good : LabelCode.Bad).ToArray();
            var aspects = MjTaxonomy.AspectToCriteria.Select(g => g.Any(k => codes[k] == LabelCode.Bad) ? LabelCode.Bad : LabelCode.Good).ToArray();
            return (new VideoAnnotation(codes, aspects, LabelCode.Good), captions[i % captions.Length]);
        }).ToList();
        return NeutralTargets.From(rows, vocabulary);
    }

    [Fact]
    public void Targets_and_vocabulary_come_from_the_codes_and_the_caption_words()
    {
        var tokenizer = new CaptionTokenizer(16);
        var vocabulary = new CaptionVocabulary(["a red square", "a blue square"], tokenizer);
        // "a", " red", " square", " blue": 4 distinct tokens, the terminator left out, in id order.
        Assert.Equal(4, vocabulary.Count);
        Assert.Equal(vocabulary.TokenIds.Order(), vocabulary.TokenIds);
        var red = vocabulary.MultiHot("a red red square");
        Assert.Equal(3, red.Sum());
        Assert.Equal(1, vocabulary.MultiHot("a green circle").Sum()); // only "a" is known

        var criteria = new int[MjTaxonomy.CriterionCount];
        criteria[0] = LabelCode.Good;
        criteria[1] = LabelCode.Bad;
        var aspects = new[] { LabelCode.Bad, 0, 0, 0, 0 };
        using var targets = NeutralTargets.From([(new VideoAnnotation(criteria, aspects, LabelCode.Bad), "a red square")], vocabulary);
        Assert.Equal([1f, 0f, 0f], targets.CriteriaGood.data<float>().Take(3).ToArray());
        Assert.Equal([1f, 1f, 0f], targets.CriteriaRelated.data<float>().Take(3).ToArray());
        Assert.Equal([0f, 0f], targets.AspectGood.data<float>().Take(2).ToArray());
        Assert.Equal([1f, 0f], targets.AspectRelated.data<float>().Take(2).ToArray());
        Assert.Equal(3, targets.CaptionWords.sum().item<float>());
    }

    [Fact]
    public void Rank_auc_counts_ordered_pairs_and_ties_as_half()
    {
        // Positives score 2 and 4, negatives 1 and 3: of the 4 (positive, negative) pairs, 3 are ordered right.
        Assert.Equal(0.75, RankAuc.Of([1, 2, 3, 4], [false, true, false, true]), 12);
        Assert.Equal(0.5, RankAuc.Of([1, 1], [true, false]), 12);
        Assert.Equal(0.0, RankAuc.Of([5, 1], [false, true]), 12);
        Assert.True(double.IsNaN(RankAuc.Of([1, 2], [true, true])));
    }

    [Fact]
    public void Frame_choices_are_index_subsets_of_the_sixteen_decoded_frames()
    {
        Assert.Equal([0, 1, 3, 5, 7, 9, 11, 13], FrameChoice.Paper.Indices(16));
        Assert.Equal([0, 5, 10, 15], new FrameChoice(4, FrameSampling.InclusiveUniform).Indices(16));
        Assert.Equal([0, 7], new FrameChoice(2, FrameSampling.PaperLinspace).Indices(16));
        Assert.Equal("4-inclusive", new FrameChoice(4, FrameSampling.InclusiveUniform).Key);

        // Subset keeps the chosen frames of every clip and copies the caption tokens.
        using var backbone = new TinyVideoTextBackbone(SmallTiny(frames: 4));
        using var inputs = RandomInputs(backbone, ["a red square", "two blue circles"]);
        using var subset = FrameSubsetBackbone.Subset(inputs, [3, 0]);
        Assert.Equal([2L, 2, 3, 32, 32], subset.Clips!.shape);
        Assert.True(BitwiseEqual(inputs.Clips![1][3], subset.Clips[1][0]) && BitwiseEqual(inputs.Clips[0][0], subset.Clips[0][1]));
        Assert.True(BitwiseEqual(inputs.TokenIds!, subset.TokenIds!));
        Assert.Throws<ArgumentException>(() => FrameSubsetBackbone.Subset(inputs, [4]));
    }

    [Fact]
    public void Pretraining_repeats_bit_for_bit_and_depends_on_the_seed()
    {
        var (first, firstWeights) = Pretrain(seed: 3);
        var (again, againWeights) = Pretrain(seed: 3);
        var (other, _) = Pretrain(seed: 4);
        Assert.Equal(first.Trace.Select(s => s.Terms[NeutralObjective.Total]), again.Trace.Select(s => s.Terms[NeutralObjective.Total]));
        Assert.Equal(first.Trace.Select(s => s.Frames), again.Trace.Select(s => s.Frames));
        Assert.All(firstWeights.Zip(againWeights), p => Assert.True(BitwiseEqual(p.First, p.Second)));
        Assert.NotEqual(first.Trace.Select(s => s.Terms[NeutralObjective.Total]), other.Trace.Select(s => s.Terms[NeutralObjective.Total]));
        Assert.Equal(2 * 3, first.Steps); // 2 epochs of 12 videos in batches of 4 is 3 steps an epoch
        Assert.Equal(MjTaxonomy.CriterionCount, first.ValCriteria.Count);
        foreach (var w in firstWeights.Concat(againWeights)) w.Dispose();
    }

    [Fact]
    public void Pretraining_with_caption_matching_repeats_and_reports_its_val_auc() =>
        OptionalTermRepeatsAndIsAbsentWhenOff(new NeutralWeights { Matching = 1 }, CaptionMatching.Term, r => r.MatchingValAuc);

    [Fact]
    public void Caption_matching_is_a_balanced_bce_over_true_and_swapped_readings()
    {
        using var scope = NewDisposeScope();
        using var matching = new CaptionMatching(hiddenSize: 4, seed: 1);
        using (no_grad())
            foreach (var p in matching.parameters()) p.zero_();
        // A probe that outputs 0 for everything: each reading costs ln 2, whatever the batch's split.
        var trueLast = randn(3, 4);
        var swappedLast = randn(1, 4);
        Assert.Equal(Math.Log(2), matching.Loss(trueLast, swappedLast).item<float>(), 5);
        // Negatives pair rows of the batch with their clips under swapped captions; a caption without a listed word has none.
        using var backbone = new TinyVideoTextBackbone(SmallTiny(frames: 4));
        string[] captions = ["in one smooth, steady shot", "A red square on the left", "two blue circles", "a figure"];
        using var batch = RandomInputs(backbone, captions);
        var (rows, inputs) = CaptionMatching.Negatives(batch, captions, backbone.Tokenizer, new Random(2), share: 0.5)!.Value;
        using (inputs)
        {
            Assert.Equal([1L, 2], rows);
            Assert.True(BitwiseEqual(batch.Clips![1], inputs.Clips![0]) && BitwiseEqual(batch.Clips[2], inputs.Clips[1]));
            Assert.False(BitwiseEqual(batch.TokenIds![1].narrow(0, 0, 6), inputs.TokenIds![0].narrow(0, 0, 6)));
        }
        using var withoutListedWords = (TinyInputs)batch.Select([0, 3]);
        Assert.Null(CaptionMatching.Negatives(withoutListedWords, [captions[0], captions[3]], backbone.Tokenizer, new Random(2)));
    }

    [Fact]
    public void Caption_grounding_is_a_symmetric_contrastive_loss_with_shared_captions_as_positives()
    {
        using var scope = NewDisposeScope();
        // Scores 1 on the diagonal, 0 elsewhere, distinct captions: every row and column costs -log(e^4 / (e^4 + 1)).
        var scores = tensor(new float[] { 1, 0, 0, 1 }, [2, 2]);
        var expected = Math.Log(1 + Math.Exp(-CaptionGrounding.LogitScale));
        Assert.Equal(expected, CaptionGrounding.Loss(scores, ["a red ring", "a blue star"]).item<float>(), 5);
        // The same caption twice: both columns are positives of both rows, so nothing is left to push apart.
        Assert.Equal(0, CaptionGrounding.Loss(scores, ["a red ring", "a red ring"]).item<float>(), 5);
        // Three videos, the first two sharing a caption: row 0 has positives {0, 1} among {0, 1, 2}.
        var three = tensor(new float[] { 1, 0.5f, 0, 0.5f, 1, 0, 0, 0, 1 }, [3, 3]);
        double LogSumExp(params double[] xs) => Math.Log(xs.Sum(x => Math.Exp(CaptionGrounding.LogitScale * x)));
        var row0 = LogSumExp(1, 0.5, 0) - LogSumExp(1, 0.5);
        var row2 = LogSumExp(0, 0, 1) - LogSumExp(1);
        // The matrix is symmetric, so the columns cost what the rows do.
        var mean = (2 * row0 + row2) / 3;
        Assert.Equal(mean, CaptionGrounding.Loss(three, ["x", "x", "y"]).item<float>(), 5);
        Assert.Equal(1.0, CaptionGrounding.VideoToCaptionAccuracy(three, ["x", "x", "y"]), 12);
        // A hard-negative column (a swapped caption no video has) competes in the rows only.
        var withSwap = tensor(new float[] { 1, 0, 0.5f, 0, 1, 0 }, [2, 3]);
        var rows = (LogSumExp(1, 0, 0.5) - LogSumExp(1) + LogSumExp(0, 1, 0) - LogSumExp(1)) / 2;
        var columns = (LogSumExp(1, 0) - LogSumExp(1) + LogSumExp(0, 1) - LogSumExp(1)) / 2;
        Assert.Equal((rows + columns) / 2, CaptionGrounding.Loss(withSwap, ["a red ring", "a blue star"], ["a red ring", "a blue star", "a green ring"]).item<float>(), 5);
        Assert.Throws<ArgumentException>(() => CaptionGrounding.Loss(withSwap, ["a red ring", "a pink star"], ["a red ring", "a blue star", "a green ring"]));
        Assert.Equal(0.5, CaptionGrounding.VideoToCaptionAccuracy(tensor(new float[] { 0, 1, 0, 1 }, [2, 2]), ["a", "b"]), 12);
    }

    [Fact]
    public void Grounding_scores_pair_every_video_with_every_caption()
    {
        using var scope = NewDisposeScope();
        using var backbone = new TinyVideoTextBackbone(SmallGrid(seed: 2, frames: 4));
        var grid = (GridVideoTextModel)backbone.Model;
        string[] captions = ["a red square", "two blue circles on the left", "a green star"];
        using var inputs = RandomInputs(backbone, captions);
        var clips = inputs.Clips!.to_type(ScalarType.Float32) / 255;
        var scores = grid.GroundingScores(clips, inputs.TokenIds!, inputs.TokenMask!, frame: 1);
        Assert.Equal([3L, 3], scores.shape);
        // Reordering the captions reorders the columns and nothing else.
        long[] order = [2, 0, 1];
        using var index = tensor(order);
        var reordered = grid.GroundingScores(clips, inputs.TokenIds!.index_select(0, index), inputs.TokenMask!.index_select(0, index), frame: 1);
        Assert.True(reordered.allclose(scores.index_select(1, index), rtol: 1e-4, atol: 1e-5));
        // The term reaches the binding's queries and keys.
        CaptionGrounding.Loss(scores, captions).backward();
        var named = grid.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.True(named["binding.query.weight"].grad is { } g && g.abs().sum().item<float>() > 0);
        Assert.True(named["binding.key_value.weight"].grad is { } k && k.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void Pretraining_with_caption_grounding_repeats_and_reports_its_val_accuracy() =>
        OptionalTermRepeatsAndIsAbsentWhenOff(new NeutralWeights { Grounding = 1 }, CaptionGrounding.Term, r => r.GroundingValAccuracy,
            SmallGrid(seed: 3, frames: 4));

    [Fact]
    public void Pretraining_with_grounding_swaps_repeats_and_differs_from_plain_grounding()
    {
        var config = SmallGrid(seed: 3, frames: 4);
        OptionalTermRepeatsAndIsAbsentWhenOff(new NeutralWeights { Grounding = 1, GroundingSwaps = true }, CaptionGrounding.Term, r => r.GroundingValAccuracy, config);
        var (swaps, _) = Pretrain(seed: 3, new NeutralWeights { Grounding = 1, GroundingSwaps = true }, config);
        var (plain, _) = Pretrain(seed: 3, new NeutralWeights { Grounding = 1 }, config);
        Assert.NotEqual(swaps.Trace.Select(s => s.Terms[CaptionGrounding.Term]), plain.Trace.Select(s => s.Terms[CaptionGrounding.Term]));
    }

    /// <summary>An optional pre-training term: on, it is logged every step, the run repeats bit for bit and its val measure
    /// lies in [0, 1]; off, it is absent and the run differs.</summary>
    static void OptionalTermRepeatsAndIsAbsentWhenOff(NeutralWeights weights, string term, Func<PretrainReport, double?> valMeasure,
        TinyBackboneConfig? config = null)
    {
        var (first, firstWeights) = Pretrain(seed: 3, weights, config);
        var (again, againWeights) = Pretrain(seed: 3, weights, config);
        var (without, _) = Pretrain(seed: 3, config: config);
        Assert.All(first.Trace, s => Assert.True(double.IsFinite(s.Terms[term])));
        Assert.Equal(first.Trace.Select(s => s.Terms[NeutralObjective.Total]), again.Trace.Select(s => s.Terms[NeutralObjective.Total]));
        Assert.All(firstWeights.Zip(againWeights), p => Assert.True(BitwiseEqual(p.First, p.Second)));
        Assert.InRange(valMeasure(first)!.Value, 0, 1);
        Assert.Null(valMeasure(without));
        Assert.DoesNotContain(term, without.Trace[0].Terms.Keys);
        Assert.NotEqual(first.Trace.Select(s => s.Terms[NeutralObjective.Total]), without.Trace.Select(s => s.Terms[NeutralObjective.Total]));
    }

    [Fact]
    public void Caption_swaps_replace_one_listed_word_by_another_of_its_kind()
    {
        const string caption = "Two red squares on the left, kept family-friendly, in one smooth, steady shot.";
        Assert.Equal(["Two", "red", "squares", "left"], CaptionSwaps.Words(caption).Select(w => caption.Substring(w.Start, w.Length)));
        var random = new Random(7);
        for (var i = 0; i < 50; i++)
        {
            var swapped = CaptionSwaps.Swap(caption, random)!;
            var before = caption.Split(' ');
            var after = swapped.Split(' ');
            Assert.Equal(before.Length, after.Length);
            var changed = Enumerable.Range(0, before.Length).Where(k => before[k] != after[k]).ToList();
            Assert.Single(changed);
            var (old, replacement) = (before[changed[0]].TrimEnd(','), after[changed[0]].TrimEnd(','));
            var group = CaptionSwaps.Groups.Single(g => g.Contains(old, StringComparer.OrdinalIgnoreCase));
            Assert.Contains(replacement, group, StringComparer.OrdinalIgnoreCase);
            Assert.Equal(char.IsUpper(old[0]), char.IsUpper(replacement[0]));
        }
        Assert.Null(CaptionSwaps.Swap("in one smooth, steady shot, kept family-friendly", random));
    }

    static (PretrainReport Report, List<Tensor> Weights) Pretrain(long seed, NeutralWeights? weights = null, TinyBackboneConfig? config = null) => OneTorchThread(() =>
    {
        using var backbone = new TinyVideoTextBackbone(config ?? SmallTiny(seed: seed, frames: 4));
        using var inputs = SmallPretrainingInputs(captions => RandomInputs(backbone, captions), backbone.Tokenizer);
        var report = NeutralPretraining.Run(backbone, inputs, SmallPretrainSettings(weights), key: "test");
        return (report, backbone.Module.parameters().Select(p => p.detach().clone()).ToList());
    });

    [Fact]
    public void Pretraining_takes_the_frozen_encoder_fusion_and_trains_only_its_fusion()
    {
        var report = OneTorchThread(() =>
        {
            using var backbone = new PretrainedFusionBackbone(new PretrainedFusionConfig(HiddenSize: 32, FusionLayers: 1, Heads: 2, FeedForward: 64, Seed: 5),
                RepoPaths.NewTempDir("pretrained-pretraining"));
            using var inputs = SmallPretrainingInputs(captions =>
            {
                using var generator = new TorchSharp.torch.Generator(3);
                var side = backbone.Config.MapSide;
                var features = rand([captions.Count, backbone.Config.Preprocessing.Frames, PretrainedFusionConfig.FeatureChannels, side, side], generator: generator)
                    .to_type(ScalarType.Float16);
                var vectors = nn.functional.normalize(randn([captions.Count, PretrainedFusionConfig.CaptionSize], generator: generator), dim: 1);
                return new PretrainedInputs(Ids(captions.Count), features, vectors);
            }, new CaptionTokenizer(12));
            var before = backbone.Module.parameters().Select(p => p.detach().clone()).ToList();
            var result = NeutralPretraining.Run(backbone, inputs, SmallPretrainSettings(null), key: "test");
            Assert.Contains(backbone.Module.parameters().Zip(before), p => !BitwiseEqual(p.First, p.Second));
            Assert.Throws<ArgumentException>(() => NeutralPretraining.Run(backbone, inputs, SmallPretrainSettings(new NeutralWeights { Grounding = 1 }), key: "test"));
            return result;
        });
        Assert.Null(report.Backbone);
        Assert.StartsWith("pretrained-", report.BackboneId);
        Assert.Contains("ResNet-18", report.BackboneDescription);
        Assert.Equal(5, report.Seed);
        Assert.All(report.Trace, s => Assert.Equal("prepared", s.Frames));
        Assert.Equal(MjTaxonomy.CriterionCount, report.ValCriteria.Count);
    }

    /// <summary>Twelve videos of two captions with random criterion codes, the same set for train and val.</summary>
    static PretrainingInputs SmallPretrainingInputs(Func<IReadOnlyList<string>, BackboneInputs> prepare, CaptionTokenizer tokenizer)
    {
        var captions = Enumerable.Range(0, 12).Select(i => i % 2 == 0 ? "a red square" : "two blue circles").ToArray();
        var random = new Random(5);
        var videos = captions.Select(c =>
        {
            var codes = Enumerable.Range(0, MjTaxonomy.CriterionCount).Select(_ => random.Next(3)).ToArray();
            var aspects = MjTaxonomy.AspectToCriteria.Select(g => g.Any(k => codes[k] == LabelCode.Bad) ? LabelCode.Bad : LabelCode.Good).ToArray();
            return (new VideoAnnotation(codes, aspects, LabelCode.Good), c);
        }).ToList();
        var vocabulary = new CaptionVocabulary(captions, tokenizer);
        return new PretrainingInputs
        {
            Train = prepare(captions),
            TrainTargets = NeutralTargets.From(videos, vocabulary),
            Val = prepare(captions),
            ValTargets = NeutralTargets.From(videos, vocabulary),
            Vocabulary = vocabulary,
            ClipFrames = 4,
            TrainCaptions = captions,
            ValCaptions = captions,
        };
    }

    static PretrainSettings SmallPretrainSettings(NeutralWeights? weights) =>
        new(Epochs: 2, BatchVideos: 4, LearningRate: 3e-3, WarmupSteps: 1, WeightDecay: 0.1,
            FrameMix: [new FrameChoice(2, FrameSampling.PaperLinspace), new FrameChoice(4, FrameSampling.InclusiveUniform)], Weights: weights ?? new NeutralWeights());

    /// <summary>uint8 clips of 4 frames at 32x32 from a fixed seed, with the captions' tokens.</summary>
    static TinyInputs RandomInputs(TinyVideoTextBackbone backbone, IReadOnlyList<string> captions)
    {
        using var generator = new TorchSharp.torch.Generator(9);
        var clips = randint(0, 256, [captions.Count, 4, 3, 32, 32], generator: generator).to_type(ScalarType.Byte);
        var tokens = backbone.Tokenizer.EncodeBatch(captions);
        return new TinyInputs(Ids(captions.Count), clips, tokens.Ids, tokens.Mask);
    }
}
