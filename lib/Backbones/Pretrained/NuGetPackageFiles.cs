using System.Reflection;

namespace MjVideo.Backbones.Pretrained;

/// <summary>
/// Finds a file shipped inside a restored NuGet package (the pretrained models travel that way: nothing is downloaded at
/// run time). Package folders are looked up, in order, under NUGET_PACKAGES, under the package root this library was
/// built against (recorded in its assembly metadata at build time), and under ~/.nuget/packages.
/// </summary>
public static class NuGetPackageFiles
{
    public static IReadOnlyList<string> CandidateRoots()
    {
        var roots = new List<string>();
        if (Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } fromEnvironment) roots.Add(fromEnvironment);
        var builtAgainst = typeof(NuGetPackageFiles).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "NuGetPackageRoot")?.Value;
        if (builtAgainst is { Length: > 0 }) roots.Add(builtAgainst);
        roots.Add(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"));
        return roots.Select(r => Path.GetFullPath(r)).Distinct().ToList();
    }

    /// <param name="packageId">the package id, in any case (folders are lower-case)</param>
    /// <param name="version">the exact version restored</param>
    /// <param name="relativePath">the file's path inside the package, with forward slashes</param>
    public static string Find(string packageId, string version, string relativePath)
    {
        var tried = CandidateRoots()
            .Select(root => Path.Combine(root, packageId.ToLowerInvariant(), version.ToLowerInvariant(), relativePath))
            .ToList();
        return tried.FirstOrDefault(File.Exists) ?? throw new FileNotFoundException(
            $"{packageId} {version} is not restored: none of these exists: {string.Join("; ", tried)}. " +
            "Run `dotnet restore` in the repository (MjVideo.Lib.csproj references the package), or set NUGET_PACKAGES to the folder that holds it.");
    }
}
