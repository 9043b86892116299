using System.ComponentModel;
using MjVideo.Core;
using MjVideo.Data;
using MjVideo.Synth;
using MjVideo.Video;
using Spectre.Console.Cli;

namespace MjVideo.Cli.Commands;

/// <summary>
/// The file-size and pixel-difference shortcuts (<see cref="ShortcutCheck"/>) of one family folder, on all decisive test
/// pairs and, for v2, on the trade-off pairs alone (the design's bound: at most 60% there).
/// </summary>
public sealed class SynthShortcutsCommand : AsyncCommand<SynthShortcutsCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--dir <DIR>")]
        [Description("A SynthBench family folder with train, val and test (<split>.json, <split>.oracle.json, videos/).")]
        public string Dir { get; init; } = "";
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        PreferenceDataset Read(string split) => ReleaseReader.Read(Path.Combine(settings.Dir, $"{split}.json"), Path.Combine(settings.Dir, "videos"));
        var (train, val, test) = (Read("train"), Read("val"), Read("test"));
        var oracle = SynthOracle.Read(Path.Combine(settings.Dir, "test.oracle.json"));
        var decoder = new VideoDecoder(cache: ClipCache.InWorkbook(Workbook.Open()));
        var preprocessing = Preprocessing.Default;

        var all = await ShortcutCheck.RunAsync(train, val, test, decoder, preprocessing, cancellation: cancellation);
        Console.WriteLine($"{oracle.Version} {oracle.Family}, all decisive test pairs: larger file {all.LargerFileWins}, smaller file {all.SmallerFileWins}, " +
                          $"pixel difference {all.PairDifferenceModel} (weight decay {all.ChosenWeightDecay}, {all.TrainPairs} train pairs)");
        var tradeOffs = oracle.Pairs.Where(p => p.TradeOff == true).Select(p => p.Index).ToHashSet();
        if (tradeOffs.Count == 0) return 0;
        var keep = Enumerable.Range(0, test.Pairs.Count).Where(i => tradeOffs.Contains(test.Pairs[i].Index)).ToList();
        var subset = test with { Pairs = keep.Select(i => test.Pairs[i]).ToList(), Extras = keep.Select(i => test.Extras[i]).ToList() };
        var traded = await ShortcutCheck.RunAsync(train, val, subset, decoder, preprocessing, cancellation: cancellation);
        Console.WriteLine($"{oracle.Version} {oracle.Family}, decisive trade-off test pairs: larger file {traded.LargerFileWins}, " +
                          $"smaller file {traded.SmallerFileWins}, pixel difference {traded.PairDifferenceModel}");
        return 0;
    }
}
