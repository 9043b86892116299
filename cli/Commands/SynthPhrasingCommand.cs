using System.ComponentModel;
using System.Text.Json;
using MjVideo.Backbones.Pretrained;
using MjVideo.Core;
using MjVideo.Synth;
using Spectre.Console.Cli;

namespace MjVideo.Cli.Commands;

/// <summary>The two phrasing probes of SynthBench v2 (frozen MiniLM embeddings, bag of words) on held-out and seen emphases.</summary>
public sealed class SynthPhrasingCommand : AsyncCommand<SynthPhrasingCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--train <N>")]
        [Description("v2 train captions to fit the probes on (default 3000, the full-mode train split).")]
        public int Train { get; init; } = 3000;

        [CommandOption("--test <N>")]
        [Description("v2 test captions to read (default 2000, the full-mode test split).")]
        public int Test { get; init; } = 2000;

        [CommandOption("--seed <S>")]
        public long Seed { get; init; } = SynthBenchDefaults.Seed;

        [CommandOption("--out <FILE>")]
        public string? Out { get; init; }
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        List<CaptionSpec> Captions(string split, int n) =>
            Enumerable.Range(0, n).Select(i => SynthBenchV2.SampleCaption(settings.Seed, split, i)).ToList();
        using var encoder = new CaptionEncoder(Workbook.Open().CacheDir, intraOpThreads: Environment.ProcessorCount);
        // In batches: the encoder embeds all uncached captions of a call in one model run, whose memory grows with it.
        float[][] Embed(IReadOnlyList<string> captions) => captions.Chunk(64).SelectMany(chunk => encoder.Encode(chunk)).ToArray();
        var results = PhrasingProbe.Run(Captions("train", settings.Train), Captions("test", settings.Test), Embed);
        foreach (var r in results)
            Console.WriteLine($"{r.Probe} (fitted on {r.TrainCaptions} train captions): held-out emphases recalled {r.HeldOutRecall}, " +
                              $"held-out captions with the exact emphasised set {r.HeldOutExactSet}; seen: {r.SeenRecall}, {r.SeenExactSet}");
        if (settings.Out is { } path) File.WriteAllText(path, JsonSerializer.Serialize(results, SynthOracle.Json));
        return Task.FromResult(0);
    }
}
