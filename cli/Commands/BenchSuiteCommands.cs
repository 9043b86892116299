using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json.Nodes;
using MjVideo.Backbones.Pretrained;
using MjVideo.Core;
using MjVideo.Reports;
using MjVideo.Synth;
using MjVideo.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MjVideo.Cli.Commands;

/// <summary>A scratch folder for one bench command, deleted afterwards.</summary>
sealed class BenchScratch : IDisposable
{
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), $"mjvideo-bench-{Guid.NewGuid():N}");

    public BenchScratch() => Directory.CreateDirectory(Dir);

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}

public sealed class BenchEncoderCommand : Command<BenchEncoderCommand.Settings>
{
    public sealed class Settings : BenchSettings
    {
        [CommandOption("--frames <N>")]
        [Description("Frames per timed pass, in batches of 16 (default 64).")]
        [DefaultValue(64)]
        public int Frames { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        BenchCommand.Progress($"encoder: ResNet-18 extractor against a bare ONNX Runtime session, {settings.Frames} frames, {settings.Repeats} repetitions ...");
        // The edited ResNet-18 model is cached with the workbook's other caches, so it is written once per machine.
        var result = EncoderBenchmark.Run(Workbook.Open().CacheDir, new EncoderBenchmarkOptions(Frames: settings.Frames, Repetitions: settings.Repeats));
        if (settings.Json)
        {
            BenchCommand.WriteJson(new
            {
                result.Options, result.Machine, result.ExtractorFramesPerSecond, result.BareFramesPerSecond, result.EncoderRatio,
                result.MaxAbsDifference, result.ExtractorSeconds, result.BareSeconds, result.CaptionMsPerCaption, result.CaptionCachedMicrosPerCaption,
            }, result.PerformanceRows());
            return 0;
        }
        BenchCommand.PrintRows("frozen-encoder feature extraction (medians)", result.PerformanceRows());
        Console.WriteLine(result.Describe());
        return 0;
    }
}

public sealed class BenchScoringCommand : AsyncCommand<BenchScoringCommand.Settings>
{
    public sealed class Settings : BenchSettings
    {
        [CommandOption("--batch <N>")]
        [Description("Videos per forward pass (default 32).")]
        [DefaultValue(32)]
        public int Batch { get; init; }

        [CommandOption("--threads <N>")]
        [Description("torch intra-op threads for the model and the reference matmul (default 1).")]
        [DefaultValue(1)]
        public int Threads { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        using var scratch = new BenchScratch();
        var result = await ScoringBenchmark.RunAsync(scratch.Dir, new ScoringBenchmarkOptions(settings.Batch, settings.Repeats, settings.Threads),
            BenchCommand.Progress);
        if (settings.Json)
        {
            BenchCommand.WriteJson(new
            {
                result.Options, result.MatmulGflops, result.Note,
                Backbones = result.Rows.Select(r => new
                {
                    r.Backbone, r.Config, r.BatchSize, r.BackboneMflopPerVideo, r.HeadMflopPerVideo, r.MflopPerVideo, r.VideosPerSecond,
                    r.FloorVideosPerSecond, r.ScoringFlopRatio,
                }),
            }, result.PerformanceRows());
            return 0;
        }
        BenchCommand.PrintRows($"reward scoring against the FLOP floor (matmul {result.MatmulGflops:0.0} GFLOP/s in this run)", result.PerformanceRows());
        foreach (var r in result.Rows)
            Console.WriteLine($"  {r.Backbone}: {r.BackboneMflopPerVideo:0.0} MFLOP backbone + {r.HeadMflopPerVideo:0.0} MFLOP head per video; {r.Config}");
        Console.WriteLine(result.Note);
        return 0;
    }
}

public sealed class BenchTrainingCommand : Command<BenchTrainingCommand.Settings>
{
    public sealed class Settings : BenchSettings
    {
        [CommandOption("--hidden <H>")]
        [Description("Hidden sizes of the precomputed states, comma-separated (default 128).")]
        [DefaultValue("128")]
        public string Hidden { get; init; } = "128";

        [CommandOption("--steps <N>")]
        [Description("Measured optimizer steps per stage (default 40).")]
        [DefaultValue(40)]
        public int Steps { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var hidden = settings.Hidden.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToList();
        var options = new TrainingBenchmarkOptions
        {
            HiddenSizes = hidden, MeasuredSteps = settings.Steps,
            Pairs = Math.Max(512, 8 * (5 + settings.Steps)),
        };
        BenchCommand.Progress($"training: stages 1-3, H = {settings.Hidden}, {settings.Steps} steps each ...");
        var results = TrainingBenchmark.Run(options);
        var rows = results.Select(r => r.PerformanceRow()).ToList();
        if (settings.Json)
        {
            BenchCommand.WriteJson(new { Results = results }, rows);
            return 0;
        }
        BenchCommand.PrintRows("training step per stage (one run each; wall clock)", rows);
        return 0;
    }
}

public sealed class BenchEndToEndCommand : AsyncCommand<BenchEndToEndCommand.Settings>
{
    public sealed class Settings : BenchSettings
    {
        [CommandOption("--pairs <N>")]
        [Description("SynthBench pairs to generate and score (two clips each; default 16).")]
        [DefaultValue(16)]
        public int Pairs { get; init; }

        [CommandOption("--batch <N>")]
        [Description("Videos per forward pass (default 32).")]
        [DefaultValue(32)]
        public int Batch { get; init; }

        [CommandOption("--decoders <N>")]
        [Description("Videos prepared at once (default: the core count).")]
        [DefaultValue(0)]
        public int Decoders { get; init; }

        [CommandOption("--backbones <LIST>")]
        [Description("Comma-separated: tiny, pretrained (default both).")]
        [DefaultValue("tiny,pretrained")]
        public string Backbones { get; init; } = "tiny,pretrained";
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        using var scratch = new BenchScratch();
        var options = new EndToEndBenchmarkOptions(settings.Pairs, settings.Repeats, new RewardPipelineOptions(settings.Batch, settings.Decoders),
            settings.Backbones.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var result = await EndToEndBenchmark.RunAsync(scratch.Dir, options, BenchCommand.Progress, cancellation);
        if (settings.Json)
        {
            BenchCommand.WriteJson(new
            {
                result.Note, result.SetupSeconds,
                Backbones = result.Rows.Select(r => new
                {
                    r.Backbone, r.Clips, r.Pipeline, r.PrepareSecondsPerClip, r.ScoringSecondsPerClip, r.IdealClipsPerSecond, r.PipelineClipsPerSecond,
                    r.EndToEndRatio, r.BatchAtATimeClipsPerSecond, r.PipelineSpeedup, r.PeakPrepareConcurrency,
                }),
            }, result.PerformanceRows());
            return 0;
        }
        BenchCommand.PrintRows("end to end: mp4 files to rewards (medians)", result.PerformanceRows());
        Console.WriteLine(result.Note);
        return 0;
    }
}

public sealed class BenchSynthCommand : AsyncCommand<BenchSynthCommand.Settings>
{
    public sealed class Settings : BenchSettings
    {
        [CommandOption("--pairs <N>")]
        [Description("Pairs generated per run (default 12).")]
        [DefaultValue(12)]
        public int Pairs { get; init; }

        [CommandOption("--version <VERSION>")]
        [Description("SynthBench version: synthbench-v1 (default) or synthbench-v2.")]
        public string Version { get; init; } = SynthConfig.Version;
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        using var scratch = new BenchScratch();
        var result = await GenerationBenchmark.RunAsync(scratch.Dir, new GenerationBenchmarkOptions(settings.Pairs, settings.Repeats, Version: settings.Version),
            BenchCommand.Progress, cancellation);
        if (settings.Json)
        {
            BenchCommand.WriteJson(new { result.Options, result.PairsPerSecond, result.EncodeOnlyPairsPerSecond, result.GenerationRatio, result.Note },
                result.PerformanceRows());
            return 0;
        }
        BenchCommand.PrintRows("SynthBench generation (medians)", result.PerformanceRows());
        Console.WriteLine(result.Note);
        return 0;
    }
}

/// <summary>
/// `mjvideo bench all`: every measurement in its own process (`mjvideo bench NAME --json`), so that each one's peak
/// resident memory is its own and one measurement's caches and threads cannot colour the next; the children's JSON is
/// collected into one <see cref="PerformanceReport"/>.
/// </summary>
public sealed class BenchAllCommand : AsyncCommand<BenchAllCommand.Settings>
{
    public sealed class Settings : BenchSettings
    {
        [CommandOption("--out <FILE>")]
        [Description("Also write the JSON to FILE (atomically), e.g. results/performance.json, the source of the README table.")]
        public string? Out { get; init; }

        [CommandOption("--only <LIST>")]
        [Description("Comma-separated subset of: decode, encoder, scoring, training, end-to-end, synth.")]
        public string? Only { get; init; }
    }

    /// <summary>The measurements and their arguments, sized to take a few minutes together on two cores.</summary>
    static readonly (string Name, string[] Arguments)[] Parts =
    [
        ("decode", ["--small-clips", "24", "--real-clips", "2"]),
        ("encoder", []),
        ("scoring", []),
        ("training", []),
        ("end-to-end", ["--pairs", "12"]),
        ("synth", []),
    ];

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var chosen = settings.Only?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
        if (chosen?.Except(Parts.Select(p => p.Name)).FirstOrDefault() is { } unknown)
        {
            throw new UsageException($"--only: unknown measurement '{unknown}'; known: {string.Join(", ", Parts.Select(p => p.Name))}");
        }
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";
        var parts = new List<BenchPart>();
        foreach (var (name, arguments) in Parts.Where(p => chosen is null || chosen.Contains(p.Name)))
        {
            var part = await RunChildAsync(name, [.. arguments, "--repeats", settings.Repeats.ToString()], cancellation);
            if (part is null) return 1;
            parts.Add(part);
        }
        // The repository the binary was built from, unless MJVIDEO_ROOT names one (a copied binary has no repository above it).
        var root = Workbook.Open(startDirectory: AppContext.BaseDirectory).Root;
        var report = new PerformanceReport(ResultsStore.MachineDescription(), ResultsStore.GitCommit(root), DateTimeOffset.UtcNow, settings.Repeats,
            $"The machine was shared with other work (load average {load} at the start on {Environment.ProcessorCount} cores), so absolute " +
            "rates are noisy; the ratios compare runs interleaved in the same process and are the numbers to read.",
            parts);
        if (settings.Out is { } output)
        {
            report.Write(output);
            BenchCommand.Progress($"wrote {output}");
        }
        if (settings.Json)
        {
            Console.Out.WriteLine(report.ToJsonString());
            return 0;
        }
        BenchCommand.PrintRows($"mjvideo bench all on {report.Machine}", report.Rows.ToList());
        foreach (var part in parts)
            Console.WriteLine($"  {part.Name}: peak RSS {PerformanceReport.Mib(part.PeakRssBytes)}, {part.WallSeconds:0} s");
        return 0;
    }

    /// <summary>Runs `mjvideo bench NAME --json ...` as a child process; its progress goes to our stderr, its JSON is parsed.</summary>
    static async Task<BenchPart?> RunChildAsync(string name, string[] arguments, CancellationToken cancellation)
    {
        var self = System.Reflection.Assembly.GetEntryAssembly()!.Location;
        var host = Environment.ProcessPath!;
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // Run as `dotnet mjvideo.dll ...` or through the apphost, whichever started this process.
        var viaDotnet = Path.GetFileNameWithoutExtension(host) == "dotnet";
        if (viaDotnet) start.ArgumentList.Add(self);
        foreach (var argument in new[] { "bench", name, "--json" }.Concat(arguments)) start.ArgumentList.Add(argument);
        var command = "mjvideo " + string.Join(" ", start.ArgumentList.Skip(viaDotnet ? 1 : 0));
        BenchCommand.Progress($"== {command}");

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {host}");
        var errors = new List<string>();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (errors) errors.Add(e.Data);
            BenchCommand.Progress($"   [{name}] {e.Data}");
        };
        process.BeginErrorReadLine();
        var output = await process.StandardOutput.ReadToEndAsync(cancellation);
        await process.WaitForExitAsync(cancellation);
        if (process.ExitCode != 0)
        {
            Console.Error.WriteLine($"error: {command} exited with {process.ExitCode}");
            return null;
        }
        var source = $"output of '{command}'";
        var json = JsonNode.Parse(output) as JsonObject ?? throw new InvalidDataException($"{source}: not a JSON object");
        var peak = json["peak_rss_bytes"]?.GetValue<long>() ?? throw new InvalidDataException($"{source}: no peak_rss_bytes");
        var rows = PerformanceReport.RowsFromJson(json["rows"], source);
        json.Remove("rows");
        json.Remove("peak_rss_bytes");
        return new BenchPart(name, command, clock.Elapsed.TotalSeconds, peak, rows, json);
    }
}

public sealed class BenchReadmeCommand : Command<BenchReadmeCommand.Settings>
{
    /// <summary>A BenchSettings because the bench branch requires it; --json and --repeats have no effect here.</summary>
    public sealed class Settings : BenchSettings
    {
        [CommandArgument(0, "<FILE>")]
        [Description("A JSON file written by `mjvideo bench all --out FILE` (or its --json output).")]
        public string File { get; init; } = "";

        [CommandOption("--readme <PATH>")]
        [Description("The README to update (default: README.md at the repository root).")]
        public string? Readme { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        try
        {
            var report = PerformanceReport.Read(settings.File);
            var readme = settings.Readme ?? Path.Combine(Workbook.FindRoot(Directory.GetCurrentDirectory()), "README.md");
            report.WriteToReadme(readme);
            Console.WriteLine($"{readme}: performance section written from {settings.File} ({report.Rows.Count()} rows)");
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException)
        {
            return CliErrors.Report(e, context.Arguments);
        }
    }
}
