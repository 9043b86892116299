using System.ComponentModel;
using System.Text.Encodings.Web;
using System.Text.Json;
using MjVideo.Core;
using MjVideo.Reports;
using MjVideo.Video;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MjVideo.Cli.Commands;

/// <summary>Options every `mjvideo bench` sub-command takes.</summary>
public class BenchSettings : CommandSettings
{
    [CommandOption("--json")]
    [Description("Print the results as JSON on stdout (progress still goes to stderr).")]
    public bool Json { get; init; }

    [CommandOption("--repeats <N>")]
    [Description("Measured repetitions per series, after one warm-up (default 5). Results are medians.")]
    [DefaultValue(5)]
    public int Repeats { get; init; }

    public override ValidationResult Validate() =>
        Repeats >= 1 ? ValidationResult.Success() : ValidationResult.Error($"--repeats must be at least 1, got {Repeats}");
}

/// <summary>
/// The `mjvideo bench` branch. Each sub-command measures one part of the library as a ratio against a reference run in
/// the same command. To add one: a command class whose settings derive from <see cref="BenchSettings"/>, and one
/// AddCommand line in <see cref="Configure"/>.
/// </summary>
public static class BenchCommand
{
    public static void Configure(IConfigurator<BenchSettings> bench)
    {
        bench.SetDescription("Measure the library against reference runs (ratios, medians of interleaved repetitions).");
        bench.AddCommand<BenchDecodeCommand>("decode")
            .WithDescription("Sampled video decoding: the library's decoder against the ffmpeg command line doing the same select + scale + rgb24.");
        bench.AddCommand<BenchBackbonesCommand>("backbones")
            .WithDescription("The trainable backbones: training step per pair against a reference matmul in the same process, and video preparation.");
        bench.AddCommand<BenchEncoderCommand>("encoder")
            .WithDescription("Frozen-encoder feature extraction (ResNet-18) against a bare ONNX Runtime session on the same inputs.");
        bench.AddCommand<BenchScoringCommand>("scoring")
            .WithDescription("Reward scoring per backbone from prepared inputs, against the FLOP floor at the matmul rate measured in the same run.");
        bench.AddCommand<BenchTrainingCommand>("training")
            .WithDescription("A training step per stage (pairs/s), against scoring the same pairs with the same head.");
        bench.AddCommand<BenchEndToEndCommand>("end-to-end")
            .WithDescription("mp4 files to rewards through the pipeline (decoding overlapped with scoring), against the ideal 1 / (decode + scoring) per clip.");
        bench.AddCommand<BenchSynthCommand>("synth")
            .WithDescription("SynthBench generation (pairs/s) against x264 encoding the same frames alone.");
        bench.AddCommand<BenchAllCommand>("all")
            .WithDescription("Every measurement above, each in its own process (for its peak memory); the JSON the README table is made from.");
        bench.AddCommand<BenchReadmeCommand>("readme")
            .WithDescription("Write the README's performance section from a `bench all` JSON file.");
    }

    // Relaxed escaping keeps quotes and '+' in the printed command lines readable.
    static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Results as JSON on stdout, snake_case keys.</summary>
    public static void WriteJson(object result) => Console.Out.WriteLine(JsonSerializer.Serialize(result, result.GetType(), JsonOptions));

    /// <summary>Results as JSON on stdout with the rows `bench all` collects and this process's peak resident memory.</summary>
    public static void WriteJson(object details, IReadOnlyList<PerformanceRow> rows)
    {
        var json = JsonSerializer.SerializeToNode(details, details.GetType(), JsonOptions)!.AsObject();
        if (json.ContainsKey("rows") || json.ContainsKey("peak_rss_bytes"))
            throw new InvalidOperationException("bench details must not use the keys 'rows' and 'peak_rss_bytes', which bench all reads");
        json["rows"] = PerformanceReport.RowsToJson(rows);
        json["peak_rss_bytes"] = PeakMemory.ResidentBytes();
        Console.Out.WriteLine(json.ToJsonString(JsonOptions));
    }

    /// <summary>The rows as a table, then this process's peak resident memory.</summary>
    public static void PrintRows(string title, IReadOnlyList<PerformanceRow> rows)
    {
        var table = new Table().Title(Markup.Escape(title)).AddColumn("measurement")
            .AddColumn(new TableColumn("measured").RightAligned()).AddColumn(new TableColumn("reference").RightAligned())
            .AddColumn("reference is").AddColumn(new TableColumn("ratio").RightAligned()).AddColumn("target");
        foreach (var r in rows)
            table.AddRow(Markup.Escape(r.Measurement), $"{r.Measured:0.00} {Markup.Escape(r.Unit)}", $"{r.Reference:0.00} {Markup.Escape(r.Unit)}",
                Markup.Escape(r.ReferenceName), Ratio(r.Ratio), r.Target is { } t ? $">= {t:0.0#}{(r.MeetsTarget == true ? "" : " (not met)")}" : "");
        AnsiConsole.Write(table);
        Console.WriteLine($"peak resident memory of this process: {PerformanceReport.Mib(PeakMemory.ResidentBytes())}");
    }

    /// <summary>Progress for long runs: plain lines on stderr, so stdout stays clean for --json.</summary>
    public static void Progress(string line) => Console.Error.WriteLine(line);

    public static string Ratio(double ratio) => $"{ratio:0.00}x";
}

public sealed class BenchDecodeCommand : AsyncCommand<BenchDecodeCommand.Settings>
{
    public sealed class Settings : BenchSettings
    {
        [CommandOption("--small-clips <N>")]
        [Description("How many 64x64 SynthBench-like clips to decode (default 24).")]
        [DefaultValue(24)]
        public int SmallClips { get; init; }

        [CommandOption("--real-clips <N>")]
        [Description("How many real-size clips of each size, 480p and 720p (default 2).")]
        [DefaultValue(2)]
        public int RealClips { get; init; }

        [CommandOption("--keep <DIR>")]
        [Description("Encode the test clips into DIR and keep them (default: a temporary folder, deleted afterwards).")]
        public string? Keep { get; init; }

        public override ValidationResult Validate() =>
            SmallClips < 1 || RealClips < 1 ? ValidationResult.Error("--small-clips and --real-clips must be at least 1") : base.Validate();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var result = await DecodeBenchmark.RunAsync(
            new DecodeBenchOptions(settings.Repeats, settings.SmallClips, settings.RealClips, WorkDir: settings.Keep, KeepClips: settings.Keep is not null),
            BenchCommand.Progress, cancellation);
        if (settings.Json)
        {
            BenchCommand.WriteJson(new
            {
                result.Repeats, result.Cores, result.Ffmpeg, result.SetupSeconds, result.Note,
                Sequential = result.Sequential.Select(r => new
                {
                    r.Kind, r.Clips, r.Source, r.Preprocessing, r.DecodeClipsPerS, r.ReferenceClipsPerS, r.DecodeRatio,
                    r.FfmpegcoreClipsPerS, r.FfmpegcoreRatio, r.ReferenceCommand,
                }),
                Parallel = result.Parallel.Select(r => new { r.Kind, r.Clips, r.Parallelism, r.DecodeClipsPerS, r.ReferenceClipsPerS, r.DecodeRatio }),
                Probe = new { result.Probe.Clips, result.Probe.LibraryMsPerClip, result.Probe.FfprobeMsPerClip, result.Probe.Speedup, result.Probe.FfprobeCommand },
            }, result.PerformanceRows());
            return 0;
        }

        var table = new Table().Title("sampled decoding, one clip at a time (clips/s, medians)")
            .AddColumn("clips").AddColumn("n").AddColumn("to")
            .AddColumn(new TableColumn("library").RightAligned()).AddColumn(new TableColumn("command line").RightAligned())
            .AddColumn(new TableColumn("ratio").RightAligned())
            .AddColumn(new TableColumn("FFMpegCore pipe").RightAligned()).AddColumn(new TableColumn("ratio").RightAligned());
        foreach (var r in result.Sequential)
            table.AddRow(Markup.Escape(r.Kind), r.Clips.ToString(), r.Target, $"{r.DecodeClipsPerS:0.00}",
                $"{r.ReferenceClipsPerS:0.00}", BenchCommand.Ratio(r.DecodeRatio), $"{r.FfmpegcoreClipsPerS:0.00}", BenchCommand.Ratio(r.FfmpegcoreRatio));
        AnsiConsole.Write(table);

        var parallel = new Table().Title("all clips of a kind in parallel (clips/s, medians)")
            .AddColumn("clips").AddColumn("n").AddColumn("at a time")
            .AddColumn(new TableColumn("DecodeManyAsync").RightAligned()).AddColumn(new TableColumn("command lines").RightAligned())
            .AddColumn(new TableColumn("ratio").RightAligned());
        foreach (var r in result.Parallel)
            parallel.AddRow(Markup.Escape(r.Kind), r.Clips.ToString(), r.Parallelism.ToString(), $"{r.DecodeClipsPerS:0.00}",
                $"{r.ReferenceClipsPerS:0.00}", BenchCommand.Ratio(r.DecodeRatio));
        AnsiConsole.Write(parallel);

        Console.WriteLine($"probe ({result.Probe.Clips} small clips): library {result.Probe.LibraryMsPerClip:0.00} ms/clip (MP4 sample table, in-process), " +
                          $"ffprobe command line {result.Probe.FfprobeMsPerClip:0.0} ms/clip: {result.Probe.Speedup:0}x faster");
        // Plain lines, so that the reference commands can be copied and run exactly as measured.
        Console.WriteLine("reference command lines (run with /bin/sh -c; one per kind, first clip):");
        foreach (var r in result.Sequential) Console.WriteLine($"  {r.Kind} ({r.Source} -> {r.Preprocessing}): {r.ReferenceCommand}");
        Console.WriteLine($"  probe: {result.Probe.FfprobeCommand}");
        Console.WriteLine($"{result.Ffmpeg}; {result.Cores} cores; {result.Repeats} repetitions; clips encoded in {result.SetupSeconds:0.0} s.");
        Console.WriteLine(result.Note);
        Console.WriteLine($"peak resident memory of this process: {PerformanceReport.Mib(PeakMemory.ResidentBytes())}");
        return 0;
    }
}
