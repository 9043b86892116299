namespace MjVideo.Core;

/// <summary>Quick mode is CI's smoke test; full mode produces the committed results, figures and README tables.</summary>
public enum RunMode { Quick, Full }

/// <summary>
/// Where a notebook or CLI run reads and writes, and in which mode it runs. Headless runs select the mode with the
/// MJVIDEO_MODE environment variable (quick|full); a notebook's parameter cell may override it. Quick runs never write
/// into figures/ or results/: their outputs go to a scratch folder (MJVIDEO_SCRATCH, else a temp folder).
/// </summary>
public sealed record Workbook(string Root, RunMode Mode, string ScratchRoot)
{
    public const string QuickBanner = "QUICK: smoke test only";
    public const string ModeVariable = "MJVIDEO_MODE";
    public const string ScratchVariable = "MJVIDEO_SCRATCH";
    public const string RootVariable = "MJVIDEO_ROOT";

    public static Workbook Open(RunMode? mode = null, string? startDirectory = null)
    {
        var root = Environment.GetEnvironmentVariable(RootVariable) is { Length: > 0 } r
            ? Path.GetFullPath(r)
            : FindRoot(startDirectory ?? Directory.GetCurrentDirectory());
        return new Workbook(root, ChosenMode(mode), ScratchFromEnvironment());
    }

    static RunMode ChosenMode(RunMode? mode) => mode ?? ParseMode(Environment.GetEnvironmentVariable(ModeVariable)) ?? RunMode.Quick;

    static string ScratchFromEnvironment() => Environment.GetEnvironmentVariable(ScratchVariable) is { Length: > 0 } s
        ? Path.GetFullPath(s)
        : Path.Combine(Path.GetTempPath(), "mjvideo-quick");

    /// <summary>
    /// A workbook for commands that also run outside the repository (score, eval): the repository's when there is one
    /// (<see cref="RootVariable"/>, else above the working directory), otherwise the per-user folder
    /// <see cref="PerUserRoot"/>, so that caches and scratch results still have a home.
    /// </summary>
    public static Workbook OpenAnywhere(RunMode? mode = null)
    {
        try
        {
            return Open(mode);
        }
        catch (DirectoryNotFoundException)
        {
            return new Workbook(PerUserRoot, ChosenMode(mode), ScratchFromEnvironment());
        }
    }

    /// <summary>Where caches live when nothing names a folder: <see cref="RootVariable"/>'s data/cache, else the working
    /// tree's, else the per-user folder's.</summary>
    public static string DefaultCacheDir() => OpenAnywhere().CacheDir;

    /// <summary>$XDG_CACHE_HOME/mjvideo, else ~/.cache/mjvideo.</summary>
    public static string PerUserRoot =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "mjvideo");

    public static RunMode? ParseMode(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "quick" => RunMode.Quick,
        "full" => RunMode.Full,
        _ => throw new ArgumentException($"{ModeVariable}='{text}': expected 'quick' or 'full'"),
    };

    /// <summary>Walks up from <paramref name="start"/> to the folder that holds MjVideo.Lib.csproj.</summary>
    public static string FindRoot(string start)
    {
        for (var dir = new DirectoryInfo(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MjVideo.Lib.csproj"))) return dir.FullName;
        throw new DirectoryNotFoundException(
            $"no MjVideo.Lib.csproj above '{start}'; run from inside the repository or set {RootVariable}");
    }

    public bool IsQuick => Mode == RunMode.Quick;

    /// <summary>Committed outputs in full mode; a scratch copy in quick mode.</summary>
    public string FiguresDir => Ensure(IsQuick ? Path.Combine(ScratchRoot, "figures") : Path.Combine(Root, "figures"));
    public string ResultsDir => Ensure(IsQuick ? Path.Combine(ScratchRoot, "results") : Path.Combine(Root, "results"));
    public string DataDir => Ensure(Path.Combine(Root, "data"));
    public string CacheDir => Ensure(Path.Combine(Root, "data", "cache"));

    /// <summary>The banner quick-mode outputs carry; empty in full mode.</summary>
    public string Banner => IsQuick ? QuickBanner : "";

    /// <summary>One line a notebook prints at its top: mode, where outputs go, the compute device.</summary>
    public string Describe() =>
        (IsQuick ? $"{QuickBanner}. " : "FULL mode. ") +
        $"Figures -> {Display(FiguresDir)}; results -> {Display(ResultsDir)}; device {ComputeDevice.Describe()}";

    /// <summary>
    /// A path as notebook outputs and results records show it: relative to the workbook root, with forward slashes, when it
    /// lies inside the workbook, so that committed files name no machine's folders; other paths are returned in full.
    /// </summary>
    public string Display(string path)
    {
        var full = Path.GetFullPath(path);
        var relative = Path.GetRelativePath(Root, full);
        return relative == ".." || relative.StartsWith(".." + Path.DirectorySeparatorChar) || Path.IsPathRooted(relative)
            ? full
            : relative.Replace('\\', '/');
    }

    /// <summary>Free text with every path inside the workbook made relative to its root (see <see cref="Display"/>).</summary>
    public string RelativeText(string text)
    {
        var prefix = Path.TrimEndingDirectorySeparator(Root) + Path.DirectorySeparatorChar;
        return text.Contains(prefix, StringComparison.Ordinal)
            ? System.Text.RegularExpressions.Regex.Replace(text, System.Text.RegularExpressions.Regex.Escape(prefix) + @"[^\s;,()]*",
                m => m.Value[prefix.Length..].Replace('\\', '/'))
            : text;
    }

    /// <summary>A path read back from a record or an output: relative ones are relative to the workbook root.</summary>
    public string Resolve(string path) => Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(Root, path));

    static string Ensure(string dir)
    {
        Directory.CreateDirectory(dir);
        return dir;
    }
}
