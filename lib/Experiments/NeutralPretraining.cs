using System.Diagnostics;
using MjVideo.Backbones;
using MjVideo.Backbones.Pretrained;
using MjVideo.Backbones.Tiny;
using MjVideo.Data;
using MjVideo.Metrics;
using MjVideo.Synth;
using MjVideo.Taxonomy;
using MjVideo.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using MjVideo.Core;

namespace MjVideo.Experiments;

/// <summary>One pre-training step of the trace.</summary>
public sealed record PretrainStep(int Step, int Epoch, string Frames, double LearningRate, IReadOnlyDictionary<string, double> Terms);

/// <summary>How well the criteria probe on h_last reads one criterion on the val videos where it is related: accuracy and
/// macro-F1 at the sign rule, and the threshold-free AUC (chance = 0.5).</summary>
public sealed record ProbeResult(string Criterion, string Aspect, int Videos, int Good, int Bad, double Accuracy, double MacroF1, double Auc);

/// <summary>What one pre-training did (saved beside the weights as <c>pretrain.json</c>).</summary>
public sealed record PretrainReport
{
    public required string Key { get; init; }
    public required long Seed { get; init; }
    public required TinyModalities Modalities { get; init; }
    public required string BackboneId { get; init; }
    /// <summary>The small encoder's config; null for another backbone (its id and description say what it was).</summary>
    public required TinyBackboneConfig? Backbone { get; init; }

    /// <summary>The backbone's own description (what it reads and how).</summary>
    public string? BackboneDescription { get; init; }
    public required PretrainSettings Settings { get; init; }
    public required int TrainVideos { get; init; }
    public required int ValVideos { get; init; }
    public required int Steps { get; init; }
    public required long TrainedParameters { get; init; }
    public required double Seconds { get; init; }
    public required IReadOnlyList<PretrainStep> Trace { get; init; }
    public required IReadOnlyDictionary<string, double> ValTerms { get; init; }
    public required IReadOnlyList<ProbeResult> ValCriteria { get; init; }

    /// <summary>With the caption-matching term: its probe's AUC on val, true captions against their swaps (chance 0.5).</summary>
    public double? MatchingValAuc { get; init; }

    /// <summary>With the caption-grounding term: on val, in batches of the training batch size, the share of videos whose
    /// own caption scores highest among the batch's captions (null without the term).</summary>
    public double? GroundingValAccuracy { get; init; }

    /// <summary>Milliseconds of wall time per video pass (forward, backward and the optimizer's share), as measured.</summary>
    public double MsPerVideo => Seconds * 1000 / Math.Max(1, Steps * (double)Settings.BatchVideos);
}

/// <summary>The videos of a split prepared once for every pre-training: all 16 frames (uint8), caption tokens and targets.</summary>
public sealed class PretrainingInputs : IDisposable
{
    public required BackboneInputs Train { get; init; }
    public required NeutralTargets TrainTargets { get; init; }
    public required BackboneInputs Val { get; init; }
    public required NeutralTargets ValTargets { get; init; }
    public required CaptionVocabulary Vocabulary { get; init; }
    public required int ClipFrames { get; init; }

    /// <summary>The captions of <see cref="Train"/> and <see cref="Val"/>, row for row (the caption-matching term swaps
    /// their words).</summary>
    public required IReadOnlyList<string> TrainCaptions { get; init; }
    public required IReadOnlyList<string> ValCaptions { get; init; }

    /// <summary>The paper's 8 frames among the decoded ones: what validation and the standardisation read.</summary>
    public long[] PaperFrameIndices => FrameChoice.Paper.Indices(ClipFrames).Select(i => (long)i).ToArray();

    /// <summary>Decodes (through the clip cache) and tokenises the reference family's train and val videos.</summary>
    public static async Task<PretrainingInputs> PrepareAsync(ExperimentData data, TinyBackboneConfig backbone, string? cacheDir,
        CancellationToken cancellation = default)
    {
        var clipFrames = data.Reference.TestOracle.Frames;
        var everyFrame = backbone with { Preprocessing = backbone.Preprocessing with { Frames = clipFrames, Sampling = Video.FrameSampling.InclusiveUniform } };
        using var decoder = new TinyVideoTextBackbone(everyFrame, cacheDir);
        return await PrepareAsync(data, decoder, decoder.Tokenizer, clipFrames, cancellation).ConfigureAwait(false);
    }

    /// <summary>The reference family's train and val videos as <paramref name="backbone"/> prepares them (for a backbone
    /// other than the small encoder, e.g. the frozen ResNet-18 + MiniLM fusion, whose inputs are cached features). The
    /// caption-word targets use the small encoder's tokenizer, which only defines the vocabulary here.</summary>
    public static Task<PretrainingInputs> PrepareAsync(ExperimentData data, IBackbone backbone, CancellationToken cancellation = default) =>
        PrepareAsync(data, backbone, new CaptionTokenizer(ExperimentSettings.V1Backbone.MaxCaptionTokens), data.Reference.TestOracle.Frames, cancellation);

    static async Task<PretrainingInputs> PrepareAsync(ExperimentData data, IBackbone backbone, CaptionTokenizer tokenizer, int clipFrames,
        CancellationToken cancellation)
    {
        var trainVideos = LabelledVideos(data.Reference.Train);
        var valVideos = LabelledVideos(data.Reference.Val);
        var vocabulary = new CaptionVocabulary(trainVideos.Select(v => v.Item.Caption), tokenizer);
        var train = await backbone.PrepareAsync(trainVideos.Select(v => v.Item).ToList(), cancellation).ConfigureAwait(false);
        var val = await backbone.PrepareAsync(valVideos.Select(v => v.Item).ToList(), cancellation).ConfigureAwait(false);
        return new PretrainingInputs
        {
            Train = train,
            TrainTargets = NeutralTargets.From(trainVideos.Select(v => (v.Labels, v.Item.Caption)).ToList(), vocabulary),
            Val = val,
            ValTargets = NeutralTargets.From(valVideos.Select(v => (v.Labels, v.Item.Caption)).ToList(), vocabulary),
            Vocabulary = vocabulary,
            ClipFrames = clipFrames,
            TrainCaptions = trainVideos.Select(v => v.Item.Caption).ToList(),
            ValCaptions = valVideos.Select(v => v.Item.Caption).ToList(),
        };
    }

    static List<(VideoItem Item, VideoAnnotation Labels)> LabelledVideos(PreferenceDataset split)
    {
        var items = TrainingData.VideoItems(split);
        return items.Select((item, i) =>
        {
            var pair = split.Pairs[i / 2];
            var labels = pair.LabelsOf(i % 2)
                ?? throw new InvalidDataException($"{split.SourceFile}: pair {pair.Index} video_{i % 2} has no criterion labels to pre-train on");
            return (item, labels);
        }).DistinctBy(v => v.item.VideoId).ToList();
    }

    public void Dispose()
    {
        Train.Dispose();
        TrainTargets.Dispose();
        Val.Dispose();
        ValTargets.Dispose();
    }
}

/// <summary>
/// Pre-trains the small encoder once per seed with an objective that favours no judge (<see cref="NeutralObjective"/>): it
/// uses the criteria and aspect labels and the caption text, never a preference label, so every judge's head later starts
/// from the same states. The encoder is trained from pixels (its CNN included), each step on one frame choice drawn from
/// <see cref="PretrainSettings.FrameMix"/> with the seed, so the same weights serve the frame ablation. AdamW with a
/// cosine schedule, gradient clipping (<see cref="PretrainSettings.MaxGradNorm"/>), one torch thread, a seeded visiting
/// order: the result repeats bit for bit.
/// </summary>
public static class NeutralPretraining
{
    /// <summary>Bumped whenever the objective or the loop changes, so that cached encoders are retrained.</summary>
    public const string Version = "neutral-pretraining-v2";

    /// <summary>
    /// Pre-trains <paramref name="backbone"/> on <paramref name="inputs"/> (prepared by the same kind of backbone). The small
    /// encoder draws a frame choice per step from <see cref="PretrainSettings.FrameMix"/> and may add the caption-matching
    /// and grounding terms; any other backbone (the frozen ResNet-18 + MiniLM fusion) reads the frames it prepared, and
    /// only its trainable part learns.
    /// </summary>
    public static PretrainReport Run(IBackbone backbone, PretrainingInputs inputs, PretrainSettings settings, string key,
        IProgress<(int Step, int Steps)>? progress = null, CancellationToken cancellation = default)
    {
        var tiny = backbone as TinyVideoTextBackbone;
        if (tiny is null && (settings.Weights.Matching > 0 || settings.Weights.Grounding > 0))
            throw new ArgumentException($"the caption-matching and grounding terms need the small encoder; {backbone.Id} is not one");
        var seed = SeedOf(backbone);
        var hidden = backbone.HiddenSize;
        var clock = Stopwatch.StartNew();
        using var probes = new NeutralProbes(hidden, inputs.Vocabulary.Count, unchecked(seed * 31 + 7));
        using var criteriaAlpha = settings.Weights.BalanceCriteria ? NeutralObjective.BalancedAlpha(inputs.TrainTargets) : NeutralObjective.PaperAlpha();
        probes.StartAtPriors(inputs.TrainTargets, criteriaAlpha);
        using var matching = settings.Weights.Matching > 0 ? new CaptionMatching(hidden, unchecked(seed * 31 + 11)) : null;
        var parameters = backbone.ParametersTrainedIn(1).Concat(probes.parameters()).Concat(matching?.parameters() ?? []).ToList();
        using var optimizer = optim.AdamW(parameters, settings.LearningRate, weight_decay: settings.WeightDecay);
        var n = inputs.Train.Count;
        var stepsPerEpoch = (n + settings.BatchVideos - 1) / settings.BatchVideos;
        var totalSteps = stepsPerEpoch * settings.Epochs;
        var frameIndices = settings.FrameMix.Select(f => f.Indices(inputs.ClipFrames).Select(i => (long)i).ToArray()).ToList();
        var trace = new List<PretrainStep>(totalSteps);
        backbone.Module.train();
        probes.train();
        var step = 0;
        for (var epoch = 0; epoch < settings.Epochs; epoch++)
        {
            var order = DataOrder.Permutation(seed, stage: 0, epoch, n);
            for (var start = 0; start < n; start += settings.BatchVideos)
            {
                cancellation.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var choice = SynthRandom.ForItem(seed, NeutralPretraining.Version, step, "frames").NextInt(settings.FrameMix.Count);
                var positions = order[start..Math.Min(n, start + settings.BatchVideos)];
                using var batch = inputs.Train.Select(positions);
                using var index = tensor(positions.Select(p => (long)p).ToArray());
                using var targets = inputs.TrainTargets.Rows(index);
                using var states = ForwardOnFrames(backbone, batch, frameIndices[choice]);
                var (loss, terms) = NeutralObjective.Loss(states, probes, targets, settings.Weights, criteriaAlpha);
                if (settings.Weights.Grounding > 0)
                    loss = AddGrounding(loss, terms, tiny!, (TinyInputs)batch, positions.Select(p => inputs.TrainCaptions[p]).ToList(),
                        frameIndices[choice], settings.Weights, seed, step);
                if (matching is not null) loss = AddMatching(loss, terms, matching, tiny!, (TinyInputs)batch, states, positions, inputs.TrainCaptions,
                    frameIndices[choice], settings.Weights.Matching, seed, step);
                if (!double.IsFinite(terms[NeutralObjective.Total]))
                    throw new ArithmeticException($"pre-training {backbone.Id} seed {seed}: the loss is {terms[NeutralObjective.Total]} at step {step + 1}");
                var rate = settings.LearningRate * CosineSchedule.Factor(step, settings.WarmupSteps, totalSteps);
                foreach (var group in optimizer.ParamGroups) group.LearningRate = rate;
                optimizer.zero_grad();
                loss.backward();
                nn.utils.clip_grad_norm_(parameters, settings.MaxGradNorm);
                optimizer.step();
                step++;
                trace.Add(new PretrainStep(step, epoch, tiny is null ? "prepared" : settings.FrameMix[choice].Key, rate, terms));
                progress?.Report((step, totalSteps));
            }
        }
        var seconds = clock.Elapsed.TotalSeconds;
        if (tiny?.Model is GridVideoTextModel grid) FitStandardisation(tiny, grid, inputs);
        var (valTerms, valCriteria) = Validate(backbone, probes, inputs, settings.Weights, criteriaAlpha);
        double? matchingAuc = null;
        if (matching is not null)
        {
            backbone.Module.eval();
            matching.eval();
            matchingAuc = matching.Auc(tiny!, (TinyInputs)inputs.Val, inputs.ValCaptions, inputs.PaperFrameIndices,
                seed: unchecked((int)seed) + 1);
            backbone.Module.train();
        }
        var groundingAccuracy = settings.Weights.Grounding > 0 ? GroundingAccuracy(tiny!, inputs, settings.BatchVideos) : (double?)null;
        return new PretrainReport
        {
            Key = key,
            Seed = seed,
            Modalities = tiny?.Config.Modalities ?? TinyModalities.VideoAndCaption,
            BackboneId = backbone.Id,
            Backbone = tiny?.Config,
            BackboneDescription = tiny?.Config.Describe() ?? (backbone as PretrainedFusionBackbone)?.Config.Describe(),
            Settings = settings,
            TrainVideos = n,
            ValVideos = inputs.Val.Count,
            Steps = step,
            TrainedParameters = backbone.ParametersTrainedIn(1).Sum(p => p.numel()),
            Seconds = seconds,
            Trace = trace,
            ValTerms = valTerms,
            ValCriteria = valCriteria,
            MatchingValAuc = matchingAuc,
            GroundingValAccuracy = groundingAccuracy,
        };
    }

    static long SeedOf(IBackbone backbone) => backbone switch
    {
        TinyVideoTextBackbone tiny => tiny.Config.Seed,
        PretrainedFusionBackbone pretrained => pretrained.Config.Seed,
        _ => throw new ArgumentException($"pre-training takes the small encoder or the frozen-encoder fusion, not {backbone.Id}"),
    };

    /// <summary>The small encoder reads the chosen frames of its every-frame inputs; another backbone reads what it prepared.</summary>
    static BackboneOutput ForwardOnFrames(IBackbone backbone, BackboneInputs inputs, long[] frameIndices) => backbone is TinyVideoTextBackbone tiny
        ? FrameSubsetBackbone.ForwardOnFrames(tiny, (TinyInputs)inputs, frameIndices)
        : backbone.Forward(inputs);

    /// <summary>Adds the caption-grounding term (<see cref="CaptionGrounding"/>) for this step's batch, matching the words
    /// against the cells of the middle frame the CNN reads this step; with <see cref="NeutralWeights.GroundingSwaps"/>,
    /// each caption's one-word swap (drawn with the seed and the step) joins the columns as a hard negative.</summary>
    static Tensor AddGrounding(Tensor loss, Dictionary<string, double> terms, TinyVideoTextBackbone backbone, TinyInputs batch,
        IReadOnlyList<string> captions, long[] frameIndices, NeutralWeights weights, long seed, int step)
    {
        var frame = frameIndices[frameIndices.Length / 2];
        var columns = captions.ToList();
        Tensor scores;
        if (weights.GroundingSwaps)
        {
            var random = new Random(unchecked((int)SynthRandom.ForItem(seed, Version, step, "grounding-swaps").NextInt(int.MaxValue)));
            columns.AddRange(captions.Distinct().Select(c => CaptionSwaps.Swap(c, random)).OfType<string>().Where(s => !captions.Contains(s)));
            using var tokens = backbone.Tokenizer.EncodeBatch(columns);
            scores = GroundingScores(backbone, batch, tokens.Ids, tokens.Mask, frame);
        }
        else scores = GroundingScores(backbone, batch, frame);
        using var _ = scores;
        var term = CaptionGrounding.Loss(scores, captions, columns);
        terms[CaptionGrounding.Term] = term.detach().item<float>();
        var total = loss + weights.Grounding * term;
        terms[NeutralObjective.Total] = total.detach().item<float>();
        return total;
    }

    static Tensor GroundingScores(TinyVideoTextBackbone backbone, TinyInputs batch, long frame) =>
        GroundingScores(backbone, batch, batch.TokenIds ?? throw new ArgumentException($"the caption-grounding term needs captions; {backbone.Id} reads none"),
            batch.TokenMask!, frame);

    static Tensor GroundingScores(TinyVideoTextBackbone backbone, TinyInputs batch, Tensor tokenIds, Tensor tokenMask, long frame)
    {
        if (backbone.Model is not GridVideoTextModel grid)
            throw new ArgumentException($"the caption-grounding term needs the v2 encoder; {backbone.Id} is not one");
        if (batch.Clips is null) throw new ArgumentException($"the caption-grounding term needs clips; {backbone.Id} reads none");
        using var scope = NewDisposeScope();
        var clips = HeldScalars.With(255, s => batch.Clips.to_type(ScalarType.Float32).div_(s));
        return grid.GroundingScores(clips, tokenIds, tokenMask, frame).MoveToOuterDisposeScope();
    }

    /// <summary>The grounding term's top-1 accuracy on val, in consecutive batches of <paramref name="batchVideos"/>, at the
    /// middle of the paper's frames.</summary>
    static double GroundingAccuracy(TinyVideoTextBackbone backbone, PretrainingInputs inputs, int batchVideos)
    {
        backbone.Module.eval();
        using var noGrad = no_grad();
        var paper = inputs.PaperFrameIndices;
        double found = 0;
        var counted = 0;
        for (var start = 0; start + 1 < inputs.Val.Count; start += batchVideos)
        {
            var positions = Enumerable.Range(start, Math.Min(batchVideos, inputs.Val.Count - start)).ToArray();
            using var selected = (TinyInputs)inputs.Val.Select(positions);
            using var scores = GroundingScores(backbone, selected, paper[paper.Length / 2]);
            found += CaptionGrounding.VideoToCaptionAccuracy(scores, positions.Select(p => inputs.ValCaptions[p]).ToList()) * positions.Length;
            counted += positions.Length;
        }
        backbone.Module.train();
        return found / counted;
    }

    /// <summary>Adds the caption-matching term (<see cref="CaptionMatching"/>) for this step's batch to the loss and the
    /// logged terms; the swaps are drawn with the seed and the step, so the run repeats.</summary>
    static Tensor AddMatching(Tensor loss, Dictionary<string, double> terms, CaptionMatching matching, TinyVideoTextBackbone backbone,
        TinyInputs batch, BackboneOutput states, int[] positions, IReadOnlyList<string> captions, long[] frameIndices, double weight,
        long seed, int step)
    {
        var random = new Random(unchecked((int)SynthRandom.ForItem(seed, Version, step, "caption-swaps").NextInt(int.MaxValue)));
        var negatives = CaptionMatching.Negatives(batch, positions.Select(p => captions[p]).ToList(), backbone.Tokenizer, random);
        if (negatives is not { } found)
        {
            terms[CaptionMatching.Term] = double.NaN;
            return loss;
        }
        using var swappedInputs = found.Inputs;
        using var swappedStates = FrameSubsetBackbone.ForwardOnFrames(backbone, swappedInputs, frameIndices);
        using var rows = tensor(found.Rows);
        var term = matching.Loss(states.HLast.index_select(0, rows), swappedStates.HLast);
        terms[CaptionMatching.Term] = term.detach().item<float>();
        var total = loss + weight * term;
        terms[NeutralObjective.Total] = total.detach().item<float>();
        return total;
    }

    /// <summary>
    /// Fixes the v2 encoder's output standardisation on the raw states of every training video at the paper's frames, so
    /// that whatever reads the states next (a head on frozen states, or the fusion trained on with the head) starts from
    /// states with mean 0 and spread 1 per dimension. The val probe below reads the standardised states; its own
    /// BatchNorm makes that no different for it.
    /// </summary>
    static void FitStandardisation(TinyVideoTextBackbone backbone, GridVideoTextModel grid, PretrainingInputs inputs)
    {
        backbone.Module.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var paper = inputs.PaperFrameIndices;
        var gates = new List<Tensor>();
        var lasts = new List<Tensor>();
        const int batch = 128;
        for (var start = 0; start < inputs.Train.Count; start += batch)
        {
            var positions = Enumerable.Range(start, Math.Min(batch, inputs.Train.Count - start)).ToArray();
            using var selected = (TinyInputs)inputs.Train.Select(positions);
            var clips = HeldScalars.With(255, s => selected.Clips!.to_type(ScalarType.Float32).div_(s));
            var (gate, last) = grid.EncodeRaw(clips, selected.TokenIds, selected.TokenMask, paper);
            gates.Add(gate);
            lasts.Add(last);
        }
        grid.SetStandardisation(cat(gates, 0), cat(lasts, 0));
        backbone.Module.train();
    }

    /// <summary>The objective's terms on val and the criteria probe per criterion, at the paper's 8 frames.</summary>
    static (Dictionary<string, double> Terms, List<ProbeResult> Criteria) Validate(IBackbone backbone, NeutralProbes probes,
        PretrainingInputs inputs, NeutralWeights weights, Tensor criteriaAlpha)
    {
        backbone.Module.eval();
        probes.eval();
        using var noGrad = no_grad();
        var paper = inputs.PaperFrameIndices;
        var n = inputs.Val.Count;
        var sums = new Dictionary<string, double>();
        var logits = new float[n * MjTaxonomy.CriterionCount];
        const int batch = 128;
        for (var start = 0; start < n; start += batch)
        {
            using var scope = NewDisposeScope();
            var positions = Enumerable.Range(start, Math.Min(batch, n - start)).ToArray();
            using var selected = inputs.Val.Select(positions);
            using var index = tensor(positions.Select(p => (long)p).ToArray());
            using var targets = inputs.ValTargets.Rows(index);
            using var states = ForwardOnFrames(backbone, selected, paper);
            var (_, terms) = NeutralObjective.Loss(states, probes, targets, weights, criteriaAlpha);
            foreach (var (name, value) in terms) sums[name] = sums.GetValueOrDefault(name) + value * positions.Length;
            probes.Criteria(states.HLast).contiguous().data<float>().ToArray().CopyTo(logits, start * MjTaxonomy.CriterionCount);
        }
        backbone.Module.train();
        var good = inputs.ValTargets.CriteriaGood.contiguous().data<float>().ToArray();
        var related = inputs.ValTargets.CriteriaRelated.contiguous().data<float>().ToArray();
        var results = MjTaxonomy.Criteria.Select(c =>
        {
            var rows = Enumerable.Range(0, n).Where(i => related[i * MjTaxonomy.CriterionCount + c.Index] > 0).ToArray();
            var scores = rows.Select(i => (double)logits[i * MjTaxonomy.CriterionCount + c.Index]).ToArray();
            var labels = rows.Select(i => good[i * MjTaxonomy.CriterionCount + c.Index] > 0).ToArray();
            var confusion = BinaryConfusion.Count(scores.Select(s => s > 0).ToArray(), labels);
            return new ProbeResult(c.Key, MjTaxonomy.Aspects[c.AspectIndex].DisplayName, rows.Length, labels.Count(l => l), labels.Count(l => !l),
                confusion.Accuracy, confusion.MacroF1, RankAuc.Of(scores, labels));
        }).ToList();
        return (sums.ToDictionary(s => s.Key, s => s.Value / n), results);
    }
}

/// <summary>The area under the ROC curve as the Mann-Whitney statistic: the chance that a random positive scores above a
/// random negative, ties counting one half. NaN when either class is empty.</summary>
public static class RankAuc
{
    public static double Of(IReadOnlyList<double> scores, IReadOnlyList<bool> positive)
    {
        if (scores.Count != positive.Count) throw new ArgumentException($"{scores.Count} scores for {positive.Count} labels");
        var ranks = Ranks.MidRanks(scores.ToArray());
        var positives = positive.Count(p => p);
        var negatives = positive.Count - positives;
        if (positives == 0 || negatives == 0) return double.NaN;
        var rankSum = Enumerable.Range(0, scores.Count).Where(i => positive[i]).Sum(i => ranks[i]);
        return (rankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }
}
