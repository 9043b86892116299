using TorchSharp;

namespace MjVideo.Tests;

/// <summary>libtorch loads (the GLIBCXX patch applied by the build works) and computes.</summary>
public class TorchLoadTests
{
    [Fact]
    public void Libtorch_loads_and_multiplies()
    {
        using var a = torch.tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        using var product = a.matmul(a);
        Assert.Equal(new float[] { 7, 10, 15, 22 }, product.data<float>().ToArray());
    }
}

/// <summary>The held-Scalar helpers compute what the plain TorchSharp operations compute.</summary>
public class HeldScalarTests
{
    [Fact]
    public void Each_helper_matches_the_operation_it_replaces()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new float[] { 1, -2, 3, 8 });
        var mask = torch.tensor(new[] { true, false, false, true });
        Assert.Equal(new[] { float.NegativeInfinity, -2, 3, float.NegativeInfinity },
            MjVideo.Core.HeldScalars.MaskedFill(x, mask, double.NegativeInfinity).data<float>().ToArray());
        Assert.Equal(new float[] { 0.5f, -1, 1.5f, 4 }, MjVideo.Core.HeldScalars.Divide(x, 2).data<float>().ToArray());
        Assert.Equal(new float[] { 3, -6, 9, 24 }, MjVideo.Core.HeldScalars.Multiply(x, 3).data<float>().ToArray());
        Assert.Equal(new float[] { 0.5f, -2.5f, 2.5f, 7.5f }, MjVideo.Core.HeldScalars.Subtract(x, 0.5).data<float>().ToArray());
        var y = x.clone();
        Assert.Same(y, MjVideo.Core.HeldScalars.DivideInPlace(y, 4));
        Assert.Equal(new float[] { 0.25f, -0.5f, 0.75f, 2 }, y.data<float>().ToArray());
        MjVideo.Core.HeldScalars.MultiplyInPlace(y, 4);
        Assert.Equal(x.data<float>().ToArray(), y.data<float>().ToArray());
    }
}
