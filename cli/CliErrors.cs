using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using MjVideo.Core;
using MjVideo.Data;
using Spectre.Console.Cli;

namespace MjVideo.Cli;

/// <summary>
/// One exit-code scheme for every command (the README's "Errors and exit codes"): 0 success; 1 the command ran and
/// failed (bad input data, a missing or damaged file, files that failed in folder scoring); 2 the command line itself is
/// wrong (unknown command or option, missing or invalid option value); 128 + the signal number when interrupted (130 for
/// SIGINT, 143 for SIGTERM).
/// </summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int Failed = 1;
    public const int Usage = 2;
}

/// <summary>An option value or combination the command cannot run with (exit code 2, like a parse error).</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// Reports a command's failure: one line on stderr (never stdout, never wrapped, so a path stays whole), and with
/// <c>--json</c> also a JSON error object on stdout, so that a pipeline into a JSON reader sees a structured failure
/// instead of empty input.
/// </summary>
public static class CliErrors
{
    public static int Report(Exception error, IReadOnlyList<string> args)
    {
        if (error is AggregateException { InnerExceptions.Count: 1 } aggregate) error = aggregate.InnerExceptions[0];
        var (code, kind) = Classify(error);
        var message = kind == "interrupted" ? $"interrupted by {Interruption.Signal}" : error.Message.Trim();
        Console.Error.WriteLine(kind == "internal"
            ? $"internal error ({error.GetType().Name}): {message}; please report it with this trace:\n{error.StackTrace}"
            : $"error: {message}");
        if (kind == "usage") Console.Error.WriteLine("(mjvideo --help lists the commands, mjvideo COMMAND --help their options)");
        if (args.Contains("--json")) WriteJson(message, FileOf(error), kind, code);
        return code;
    }

    /// <summary>The JSON error object on stdout: <c>{"error": message, "file": path or null, "kind": ..., "exit_code": n}</c>.</summary>
    public static void WriteJson(string message, string? file, string kind, int code) =>
        Console.WriteLine(new JsonObject
        {
            ["error"] = message, ["file"] = file, ["kind"] = kind, ["exit_code"] = code,
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));

    static (int Code, string Kind) Classify(Exception error) => error switch
    {
        CommandParseException or CommandRuntimeException or UsageException => (ExitCodes.Usage, "usage"),
        OperationCanceledException when Interruption.Signal is not null => (Interruption.ExitCode, "interrupted"),
        IOException or UnauthorizedAccessException or InvalidDataException or DatasetFormatException or ArgumentException
            or NotSupportedException or KeyNotFoundException or FormatException or ArithmeticException or InvalidOperationException
            => (ExitCodes.Failed, "failed"),
        _ => (ExitCodes.Failed, "internal"),
    };

    static string? FileOf(Exception error) => error switch
    {
        FileProblemException p => p.Path,
        DatasetFormatException d => d.File,
        FileNotFoundException f => f.FileName,
        _ => null,
    };
}
