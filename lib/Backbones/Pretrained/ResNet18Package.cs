using System.Security.Cryptography;

namespace MjVideo.Backbones.Pretrained;

/// <summary>The ResNet-18 feature-map model, edited from the package's file and cached: where it is and what it is.</summary>
/// <param name="Path">the edited model (input [batch,3,height,width], output [batch,512,map_height,map_width])</param>
/// <param name="SourcePath">the package's ResNet18.onnx it was made from</param>
/// <param name="SourceSha256">the source file's SHA-256, hex</param>
public sealed record FeatureMapModel(string Path, string SourcePath, string SourceSha256)
{
    /// <summary>Names the weights and the edit; part of every feature-cache key.</summary>
    public string EncoderId => $"resnet18-onnx-{SourceSha256[..16]}-prepool-e{ResNet18Package.EditVersion}";
}

/// <summary>
/// The ImageNet ResNet-18 inside Microsoft.ML.DnnImageFeaturizer.ResNet18 (a CNTK export: input Input247 1x3x224x224,
/// BGR in 0..255 minus a mean image, see <see cref="ResNetNormalization"/>; output the 7x7 average pool, 1x512x1x1).
/// </summary>
public static class ResNet18Package
{
    public const string PackageId = "Microsoft.ML.DnnImageFeaturizer.ResNet18";
    public const string PackageVersion = "0.23.1";
    public const string ModelFile = "tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx";
    public const string PreprocessFile = "tools/DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx";

    /// <summary>Bumped whenever <see cref="OnnxModelEdit.ExposePoolingInput"/> changes what it writes, so that cached edits
    /// made by an older editor are not reused.</summary>
    public const int EditVersion = 1;

    public static string ModelPath() => NuGetPackageFiles.Find(PackageId, PackageVersion, ModelFile);
    public static string PreprocessPath() => NuGetPackageFiles.Find(PackageId, PackageVersion, PreprocessFile);

    /// <summary>
    /// The feature-map model under <paramref name="cacheDir"/>/onnx, keyed by the source file's hash and the edit
    /// version; made (and written atomically) on first use.
    /// </summary>
    /// <param name="cacheDir">usually <c>Workbook.CacheDir</c></param>
    /// <param name="sourcePath">the original model; the package's by default</param>
    public static FeatureMapModel PrepareFeatureMapModel(string cacheDir, string? sourcePath = null)
    {
        sourcePath ??= ModelPath();
        var source = File.ReadAllBytes(sourcePath);
        var sha = Convert.ToHexString(SHA256.HashData(source)).ToLowerInvariant();
        var folder = Path.Combine(cacheDir, "onnx");
        var path = Path.Combine(folder, $"resnet18-prepool-{sha[..16]}-e{EditVersion}.onnx");
        if (!File.Exists(path))
        {
            var (edited, _) = OnnxModelEdit.ExposePoolingInput(source, sourcePath);
            Directory.CreateDirectory(folder);
            AtomicFile.WriteAllBytes(path, edited);
        }
        return new FeatureMapModel(path, sourcePath, sha);
    }
}

/// <summary>Writes a file under a temporary name, then renames it, so that a reader never sees half a file.</summary>
public static class AtomicFile
{
    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, stream => stream.Write(bytes));

    public static void Write(string path, Action<Stream> write)
    {
        var tmp = TempName(path);
        try
        {
            using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
                write(stream);
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    // Unique per writer, so that two processes filling the same cache never write into one temporary file.
    static string TempName(string path) => $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
}
