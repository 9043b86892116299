using System.Text;

namespace MjVideo.Core;

/// <summary>Finds external programs (ffmpeg, chromium) on PATH, and prints command lines that can be pasted.</summary>
public static class Tools
{
    public static string? Find(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            if (dir.Length == 0) continue;
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>Quotes one argument for a POSIX shell, so that a printed command line runs exactly as shown.</summary>
    public static string ShellQuote(string argument)
    {
        if (argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=+,@%".Contains(c))) return argument;
        var quoted = new StringBuilder("'");
        foreach (var c in argument) quoted.Append(c == '\'' ? "'\\''" : c.ToString());
        return quoted.Append('\'').ToString();
    }
}
