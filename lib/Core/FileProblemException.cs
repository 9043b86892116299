namespace MjVideo.Core;

/// <summary>
/// A problem with one file or folder on disk (truncated, locked, from another run) that the user can act on. The message
/// names the path and says what to do; <see cref="Path"/> carries it for the command line's JSON error object.
/// </summary>
public class FileProblemException(string path, string message, Exception? inner = null) : IOException(message, inner)
{
    public string Path { get; } = path;
}
