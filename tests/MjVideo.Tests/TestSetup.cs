using System.Runtime.CompilerServices;
using TorchSharp;

namespace MjVideo.Tests;

static class TestSetup
{
    /// <summary>
    /// One torch thread for the whole test run: xunit runs test classes in parallel, and with two torch threads per op
    /// on two cores every op waits on a descheduled thread (measured: 62 s against 3.3 s for the same training loop).
    /// </summary>
    [ModuleInitializer]
    internal static void OneTorchThread() => torch.set_num_threads(1);
}
