using TorchSharp;
using static TorchSharp.torch;

namespace MjVideo.Core;

/// <summary>
/// Tensor operations with a number argument whose <see cref="Scalar"/> is kept alive until the native call returns.
/// <para>
/// TorchSharp turns a .NET number into a <see cref="Scalar"/> implicitly and never disposes it: the finalizer frees it.
/// The operation reads the Scalar's native handle and then no longer references the managed object, so a garbage
/// collection on another thread can finalize it while libtorch is still reading it. On a big tensor the native call is
/// long enough for that to happen: a clean-clone CI run once failed in <c>masked_fill</c> with libtorch's
/// "Expected false to be true" from <c>Scalar::toFloat</c>, the check that fires on a freed Scalar's unknown tag.
/// Disposing the Scalar after the call (a <c>using</c>) holds the reference through it.
/// </para>
/// </summary>
public static class HeldScalars
{
    /// <summary>Runs <paramref name="operation"/> on <paramref name="value"/> as a Scalar and disposes the Scalar after it
    /// returns, e.g. <c>HeldScalars.With(255, s => clips.div_(s))</c>.</summary>
    public static Tensor With(double value, Func<Scalar, Tensor> operation)
    {
        using var scalar = value.ToScalar();
        return operation(scalar);
    }
}
