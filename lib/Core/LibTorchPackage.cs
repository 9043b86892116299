using System.Reflection;

namespace MjVideo.Core;

/// <summary>
/// The libtorch native package this build of the library was made for: the build picks it from the OS (Linux or Windows)
/// and the switch <c>-p:MjVideoTorch=cpu|cuda</c>, and records it in the assembly. Notebooks read it in
/// <c>notebooks/setup.dib</c> to load the same package, so that no notebook names an OS or a device.
/// </summary>
public static class LibTorchPackage
{
    /// <summary>The package as a NuGet reference, "id, version" (for example "libtorch-cpu-linux-x64, 2.10.0").</summary>
    public static string Reference { get; } = typeof(LibTorchPackage).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .FirstOrDefault(a => a.Key == "LibTorchPackage")?.Value
        ?? throw new InvalidOperationException("MjVideo.Lib was built without a libtorch package (see MjVideo.Lib.csproj)");

    public static string Id => Reference.Split(',')[0].Trim();

    public static string Version => Reference.Split(',')[1].Trim();

    /// <summary>True for a CUDA build (<c>-p:MjVideoTorch=cuda</c>).</summary>
    public static bool IsCuda => Id.StartsWith("libtorch-cuda", StringComparison.Ordinal);
}
