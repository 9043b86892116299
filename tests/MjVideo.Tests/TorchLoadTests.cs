using MjVideo.Core;
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

/// <summary>The held-Scalar helper computes what the plain TorchSharp operations compute.</summary>
public class HeldScalarTests
{
    [Fact]
    public void Operations_through_the_held_scalar_match_the_plain_ones()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new float[] { 1, -2, 3, 8 });
        var mask = torch.tensor(new[] { true, false, false, true });
        Assert.Equal(new[] { float.NegativeInfinity, -2, 3, float.NegativeInfinity },
            HeldScalars.With(double.NegativeInfinity, s => x.masked_fill(mask, s)).data<float>().ToArray());
        Assert.Equal(new float[] { 0.5f, -1, 1.5f, 4 }, HeldScalars.With(2, s => x.div(s)).data<float>().ToArray());
        Assert.Equal(new float[] { 3, -6, 9, 24 }, HeldScalars.With(3, s => x.mul(s)).data<float>().ToArray());
        Assert.Equal(new float[] { 0.5f, -2.5f, 2.5f, 7.5f }, HeldScalars.With(0.5, s => x.sub(s)).data<float>().ToArray());
        var y = x.clone();
        Assert.Same(y, HeldScalars.With(4, s => y.div_(s)));
        Assert.Equal(new float[] { 0.25f, -0.5f, 0.75f, 2 }, y.data<float>().ToArray());
        HeldScalars.With(4, s => y.mul_(s));
        Assert.Equal(x.data<float>().ToArray(), y.data<float>().ToArray());
    }
}
