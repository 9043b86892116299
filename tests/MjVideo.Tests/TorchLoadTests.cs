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
