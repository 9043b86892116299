namespace MjVideo.Core;

/// <summary>
/// One writer at a time for a folder that a run writes (a checkpoint, a generated split). The lock is an exclusive lock
/// on a file beside the folder (<c>.NAME.lock</c>), which the operating system releases when the process ends, however
/// it ends, so a killed run never leaves a stale lock. The holder's process id is written beside it
/// (<c>.NAME.lock.owner</c>), so that a second run can say which process holds the folder.
/// </summary>
public sealed class FolderLock : IDisposable
{
    readonly FileStream stream;
    readonly string ownerFile;

    FolderLock(FileStream stream, string ownerFile, string target)
    {
        this.stream = stream;
        this.ownerFile = ownerFile;
        Target = target;
    }

    /// <summary>The folder (or file) this lock guards.</summary>
    public string Target { get; }

    /// <summary>Locks <paramref name="target"/> or throws at once, naming the process that holds it.</summary>
    /// <param name="purpose">what this run does, for the other run's message (e.g. "mjvideo train")</param>
    public static FolderLock Acquire(string target, string purpose)
    {
        var full = Path.GetFullPath(target).TrimEnd(Path.DirectorySeparatorChar);
        var parent = Path.GetDirectoryName(full) ?? throw new ArgumentException($"{target} has no parent folder to hold its lock");
        Directory.CreateDirectory(parent);
        var lockFile = Path.Combine(parent, $".{Path.GetFileName(full)}.lock");
        var ownerFile = lockFile + ".owner";
        FileStream stream;
        try
        {
            // FileShare.None takes an exclusive flock on Unix: a second open of the same file fails here.
            stream = new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new FileProblemException(full, $"{full} is being written by another run: {Owner(ownerFile)}. Wait for it to " +
                                                 "finish or stop it, or choose another folder.", e);
        }
        File.WriteAllText(ownerFile, $"process {Environment.ProcessId} ({purpose}), started {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC");
        return new FolderLock(stream, ownerFile, full);
    }

    static string Owner(string ownerFile)
    {
        try
        {
            return File.ReadAllText(ownerFile).Trim();
        }
        catch (IOException)
        {
            return "a process that has not recorded its id yet";
        }
    }

    public void Dispose()
    {
        try
        {
            File.Delete(ownerFile);
        }
        catch (IOException)
        {
            // The lock is released below anyway; a leftover owner file is overwritten by the next holder.
        }
        stream.Dispose();
    }
}
