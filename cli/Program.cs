using System.Reflection;
using MjVideo.Cli;
using MjVideo.Cli.Commands;
using Spectre.Console.Cli;

Interruption.Install();
var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("mjvideo");
    config.SetApplicationVersion(VersionText());
    // Unknown options are errors (a mistyped --jsn must not run the command without JSON), and every failure reaches
    // one handler below: one exit-code scheme, errors on stderr, a JSON error object with --json.
    config.UseStrictParsing();
    config.PropagateExceptions();
    config.AddCommand<ReproduceCommand>("reproduce")
        .WithDescription("Generate the default data, execute every notebook in full mode, regenerate results/, figures/ and the README tables (resumable).");
    config.AddCommand<NotebooksCommand>("notebooks")
        .WithDescription("Execute the notebooks in order, each in its own process with a hard timeout (quick mode by default).");
    config.AddCommand<StatsCommand>("stats")
        .WithDescription("Count pairs, preferences and labels of a dataset file (release, SafeSora or GenAI-Bench), and list missing videos.");
    config.AddCommand<DataCommand>("data")
        .WithDescription("Generate the default SynthBench sets (every rule family, train/val/test) when missing or stale.");
    config.AddCommand<GenerateCommand>("generate")
        .WithDescription("Generate a SynthBench split in the MJ-Bench-Video release layout (JSON, oracle, mp4 clips).");
    config.AddBranch("synth", synth =>
    {
        synth.SetDescription("SynthBench studies.");
        synth.AddCommand<DetectabilityCommand>("detectability")
            .WithDescription("Measure, per criterion and severity bin, how often an injected defect is measurable in decoded video.");
        synth.AddCommand<SynthReferenceCommand>("reference")
            .WithDescription("The single-video reference: per-criterion AUC of pinned detectors and a pinned pixel probe that see one video and its caption.");
        synth.AddCommand<SynthPhrasingCommand>("phrasing")
            .WithDescription("SynthBench v2's phrasing probes: can frozen MiniLM embeddings, and can a bag of train words, recover held-out emphases?");
        synth.AddCommand<SynthShortcutsCommand>("shortcuts")
            .WithDescription("File-size and pixel-difference shortcuts of a family folder, on all decisive test pairs and on v2's trade-off pairs.");
        synth.AddCommand<SynthCheckCommand>("check")
            .WithDescription("Hidden-seed robustness of a SynthBench version on labels only: schema, criterion rates, weight-sensitive share, byte-identical JSON; shares, ceilings and controls.");
    });
    config.AddBranch<BenchSettings>("bench", BenchCommand.Configure);
    config.AddCommand<PretrainCommand>("pretrain")
        .WithDescription("Pre-train the small encoder on the default SynthBench videos and print how well its states read each criterion on val (AUC).");
    config.AddCommand<TrainCommand>("train")
        .WithDescription("Train MJ-Video or a trained baseline through the staged losses on a training folder (train.json, val.json, videos/), with checkpoints.");
    config.AddCommand<ScoreCommand>("score")
        .WithDescription("Score one or two videos against a caption with a trained checkpoint: criteria, aspects, gate weights, score, preference.");
    config.AddCommand<EvalCommand>("eval")
        .WithDescription("Evaluate one judge (a checkpoint or baseline:NAME) on a split: Table 2 overall accuracies, Table 1 aspects, criteria, with n and 95% intervals.");
    config.AddCommand<AblateCommand>("ablate")
        .WithDescription("Run the routing-ablation grid of notebook 04 (routing, frames, gate losses, temperature, loss modes, BCE encoding, stages); resumable.");
    config.AddCommand<FusionCommand>("fusion")
        .WithDescription("Train judges with the trainable-fusion recipe (frozen vision tokens cached, fusion and head through stages 1-3); resumable.");
    config.AddCommand<ReportCommand>("report")
        .WithDescription("Regenerate the README's results section from the full-mode records in results/.");
    config.AddCommand<TuneCommand>("tune")
        .WithDescription("Preference tuning through the reward (notebook 05): tune a small generator against MJ-Video and the baselines at equal budget, judged by the oracle.");
    config.AddCommand<InfoCommand>("info")
        .WithDescription("Print the environment: versions, device, threads, tools found.");
});
try
{
    return await app.RunAsync(args, Interruption.Token);
}
catch (Exception e)
{
    return CliErrors.Report(e, args);
}

// "1.0.0 (commit 80f53a0b847c)": the build stamps the commit into the informational version ("1.0.0+<sha>").
static string VersionText()
{
    var informational = typeof(ExitCodes).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
    var parts = informational.Split('+', 2);
    return parts.Length == 2 ? $"{parts[0]} (commit {parts[1][..Math.Min(12, parts[1].Length)]})" : $"{informational} (commit unknown)";
}
