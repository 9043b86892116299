using System.Runtime.InteropServices;

namespace MjVideo.Core;

/// <summary>
/// Gives memory back between the phases of a long run. Two things keep it after a phase ends: tensors that escaped every
/// dispose scope wait for the garbage collector's finalisers (the collector does not see their native size, so it is in
/// no hurry), and glibc's allocator keeps freed blocks in its heaps instead of returning them. Measured on the tuning
/// experiment: with MALLOC_MMAP_THRESHOLD_=131072 (no heap reuse of large blocks) its peak fell from 3.8 to 2.6 GB, so
/// retained heap, not live tensors, made much of the peak. Nothing here changes any number a run computes.
/// </summary>
public static class MemoryRelease
{
    /// <summary>Collects, runs pending finalisers (freeing leaked tensors), collects again, then asks glibc to return free
    /// heap pages to the system (a no-op where there is no glibc).</summary>
    public static void AfterPhase()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            malloc_trim(0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // musl and other C libraries have no malloc_trim; the collection above is all there is to do.
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    static extern int malloc_trim(nuint pad);
}
