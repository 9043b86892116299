using MjVideo.Core;

namespace MjVideo.Training;

/// <summary>
/// What a training run does to its checkpoint folder before it writes: it takes the folder's lock (one run per folder),
/// then recovers what killed runs left beside it. A checkpoint write (<see cref="TrainingCheckpoint"/>) fills
/// <c>.NAME.tmp-*</c>, renames the old checkpoint to <c>.NAME.old-*</c>, renames the new one into place and deletes the
/// old one; a kill in between leaves those folders behind.
/// </summary>
public static class CheckpointFolders
{
    public static FolderLock Lock(string checkpointDirectory) => FolderLock.Acquire(checkpointDirectory, "mjvideo train");

    /// <summary>The <c>.old-*</c> copies of this checkpoint left by interrupted writes, newest training step first.</summary>
    public static IReadOnlyList<string> Interrupted(string checkpointDirectory) =>
        Leftovers(checkpointDirectory, "old").Select(dir => (Dir: dir, Step: StepOf(dir))).Where(c => c.Step is not null)
            .OrderByDescending(c => c.Step).Select(c => c.Dir).ToList();

    /// <summary>
    /// Call while holding <see cref="Lock"/>. When the checkpoint is missing but a write was killed between its two
    /// renames, the complete old copy is moved back into place. Then every leftover temporary and old folder is removed
    /// (a temporary one is incomplete or superseded). Returns what was done, one line each, for the run's log.
    /// </summary>
    public static IReadOnlyList<string> Recover(string checkpointDirectory)
    {
        var target = Path.GetFullPath(checkpointDirectory);
        var done = new List<string>();
        if (!Directory.Exists(target) && Interrupted(target) is [var newest, ..])
        {
            Directory.Move(newest, target);
            done.Add($"restored the checkpoint {target} from {Path.GetFileName(newest)}, left by a write that was interrupted");
        }
        var leftovers = Leftovers(target, "tmp").Concat(Leftovers(target, "old")).ToList();
        if (leftovers.Count > 0)
        {
            var bytes = leftovers.Sum(d => new DirectoryInfo(d).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length));
            foreach (var dir in leftovers) Directory.Delete(dir, recursive: true);
            done.Add($"removed {leftovers.Count} folder(s) of interrupted checkpoint writes ({bytes / (1024.0 * 1024):F1} MiB) beside {target}");
        }
        return done;
    }

    static IEnumerable<string> Leftovers(string checkpointDirectory, string kind)
    {
        var target = Path.GetFullPath(checkpointDirectory).TrimEnd(Path.DirectorySeparatorChar);
        var parent = Path.GetDirectoryName(target);
        if (parent is null || !Directory.Exists(parent)) return [];
        return Directory.GetDirectories(parent, $".{Path.GetFileName(target)}.{kind}-*").Order(StringComparer.Ordinal);
    }

    /// <summary>The global step of a complete checkpoint folder; null when it cannot be read.</summary>
    static int? StepOf(string dir)
    {
        try
        {
            return TrainingCheckpoint.Read(dir).Info.Progress.GlobalStep;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
