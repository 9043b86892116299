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
    /// <summary><c>tensor.masked_fill(mask, value)</c> with the value held through the call.</summary>
    public static Tensor MaskedFill(Tensor tensor, Tensor mask, double value)
    {
        using var scalar = value.ToScalar();
        return tensor.masked_fill(mask, scalar);
    }

    /// <summary><c>tensor / divisor</c> with the divisor held through the call.</summary>
    public static Tensor Divide(Tensor tensor, double divisor)
    {
        using var scalar = divisor.ToScalar();
        return tensor.div(scalar);
    }

    /// <summary><c>tensor * factor</c> with the factor held through the call.</summary>
    public static Tensor Multiply(Tensor tensor, double factor)
    {
        using var scalar = factor.ToScalar();
        return tensor.mul(scalar);
    }

    /// <summary><c>tensor - value</c> with the value held through the call.</summary>
    public static Tensor Subtract(Tensor tensor, double value)
    {
        using var scalar = value.ToScalar();
        return tensor.sub(scalar);
    }

    /// <summary><c>tensor.div_(divisor)</c> with the divisor held through the call; returns the same tensor.</summary>
    public static Tensor DivideInPlace(Tensor tensor, double divisor)
    {
        using var scalar = divisor.ToScalar();
        return tensor.div_(scalar);
    }

    /// <summary><c>tensor.mul_(factor)</c> with the factor held through the call; returns the same tensor.</summary>
    public static Tensor MultiplyInPlace(Tensor tensor, double factor)
    {
        using var scalar = factor.ToScalar();
        return tensor.mul_(scalar);
    }
}
