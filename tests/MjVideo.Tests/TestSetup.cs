using System.Runtime.CompilerServices;
using TorchSharp;

// Test classes run one after another. TorchSharp 0.107 frees the Scalars it makes for literals (x + 1e-8, the alpha of
// add) in finalisers and does not keep them alive across the native call, so a garbage collection started by a test on
// another thread can free one mid-call: a crash in c10::Scalar::toFloat, or silently a wrong number. One test that
// trains a generator failed once in three full runs in parallel and never alone.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace MjVideo.Tests;

static class TestSetup
{
    /// <summary>
    /// One torch thread for the whole test run: the tests' tensors are small, and with two torch threads per op on two
    /// shared cores every op can wait on a descheduled thread (measured: 62 s against 3.3 s for the same training loop).
    /// </summary>
    [ModuleInitializer]
    internal static void OneTorchThread() => torch.set_num_threads(1);
}
