using System.Runtime.InteropServices;

namespace MjVideo.Cli;

/// <summary>
/// SIGINT (Ctrl+C) and SIGTERM cancel the running command's token instead of killing the process, so that a command can
/// end cleanly (training finishes or abandons its step and saves a checkpoint). A second signal stops the process at
/// once, as usual.
/// </summary>
public static class Interruption
{
    static readonly CancellationTokenSource Source = new();
    static readonly List<PosixSignalRegistration> Registrations = [];

    /// <summary>The first signal received; null while none was.</summary>
    public static PosixSignal? Signal { get; private set; }

    public static CancellationToken Token => Source.Token;

    /// <summary>128 + the signal number: 130 for SIGINT, 143 for SIGTERM.</summary>
    public static int ExitCode => Signal == PosixSignal.SIGTERM ? 143 : 130;

    public static void Install()
    {
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            Registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
    }

    static void OnSignal(PosixSignalContext context)
    {
        if (Signal is not null) return;   // the second signal takes its default action: the process ends now
        context.Cancel = true;
        Signal = context.Signal;
        Console.Error.WriteLine($"{context.Signal}: stopping (send it again to stop at once)");
        Source.Cancel();
    }
}
