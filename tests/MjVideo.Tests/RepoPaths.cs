using MjVideo.Core;

namespace MjVideo.Tests;

/// <summary>Paths inside the repository the tests run from.</summary>
public static class RepoPaths
{
    public static string Root { get; } = Workbook.FindRoot(AppContext.BaseDirectory);
    public static string Notebooks => Path.Combine(Root, "notebooks");
    public static string Fixtures => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    /// <summary>A fresh empty folder under the system temp folder, for one test.</summary>
    public static string NewTempDir(string tag)
    {
        var dir = Path.Combine(Path.GetTempPath(), "mjvideo-tests", $"{tag}-{Guid.NewGuid():N}"[..(tag.Length + 9)]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
