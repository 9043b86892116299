using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace MjVideo.Tests;

/// <summary>
/// A small SynthBench folder (train 8, val 4, test 4 pairs) and a judge trained on it with the quick preset, both made
/// through the command line once for the command-line tests.
/// </summary>
public sealed class CliDataset : IDisposable
{
    public string Root { get; } = RepoPaths.NewTempDir("cli");
    public string Data => Path.Combine(Root, "data");
    public string Checkpoint => Path.Combine(Root, "checkpoint");
    public string Scratch => Path.Combine(Root, "scratch");
    public Dictionary<string, string?> Environment => CliRunner.InRepository(Scratch);

    public CliDataset()
    {
        foreach (var (split, pairs) in new[] { ("train", "8"), ("val", "4"), ("test", "4") })
            Succeed("generate", "--out", Data, "--split", split, "--pairs", pairs, "--seed", "1", "--no-cache", "--json");
        Succeed("train", "--data", Data, "--out", Checkpoint, "--quick", "--seed", "1");
    }

    public CliResult Run(params string[] args) => CliRunner.Run(Root, Environment, args);

    void Succeed(params string[] args)
    {
        var result = Run(args);
        if (result.ExitCode != 0) throw new InvalidOperationException($"mjvideo {string.Join(" ", args)} failed: {result}");
    }

    /// <summary>A copy of the dataset folder: its files, and its videos unless told otherwise.</summary>
    public string CopyData(string name, bool withVideos = true)
    {
        var copy = Path.Combine(Root, name);
        Copy(Data, copy, withVideos);
        return copy;
    }

    public string CopyCheckpoint(string destination)
    {
        Copy(Checkpoint, destination, withVideos: true);
        return destination;
    }

    static void Copy(string from, string to, bool withVideos)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        if (!withVideos || !Directory.Exists(Path.Combine(from, "videos"))) return;
        foreach (var dir in Directory.GetDirectories(Path.Combine(from, "videos")))
        {
            var target = Path.Combine(to, "videos", Path.GetFileName(dir));
            Directory.CreateDirectory(target);
            foreach (var file in Directory.GetFiles(dir)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// The reliability cases of the command line (issue "Reliability"): each test runs mjvideo as a user or a script would
/// and failed before its fix.
/// </summary>
public class CliReliabilityTests(CliDataset set) : IClassFixture<CliDataset>
{
    /// <summary>Holds a folder's lock the way a running mjvideo does: an exclusive lock on .NAME.lock, its owner beside.</summary>
    static FileStream HoldLock(string target, string owner)
    {
        var lockFile = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.lock");
        var held = new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        File.WriteAllText(lockFile + ".owner", owner);
        return held;
    }

    // ---- 1. generate ----

    [Fact]
    public void Generate_refuses_a_split_that_another_run_is_writing_and_names_that_process()
    {
        var folder = Path.Combine(set.Root, "generate-locked");
        Directory.CreateDirectory(folder);
        using (HoldLock(Path.Combine(folder, "test"), $"process {Environment.ProcessId} (mjvideo generate)"))
        {
            var result = set.Run("generate", "--out", folder, "--split", "test", "--pairs", "2", "--seed", "2", "--no-cache");

            Assert.True(result.ExitCode == 1, result.ToString());
            Assert.Contains($"process {Environment.ProcessId}", result.Stderr);
            Assert.False(File.Exists(Path.Combine(folder, "test.json")), "nothing may be written while another run holds the split");
        }
    }

    // ---- 2. eval without videos/ ----

    [Fact]
    public void Eval_without_a_videos_folder_names_it_instead_of_reading_clips_under_the_working_directory()
    {
        var data = set.CopyData("no-videos", withVideos: false);
        // The working directory holds test/0_0.mp4 ... (the original videos folder): they must not be used.
        var result = CliRunner.Run(Path.Combine(set.Data, "videos"), set.Environment, "eval", "--data", data, "--model", set.Checkpoint, "--json");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(Path.Combine(data, "videos"), result.Stderr);
        Assert.DoesNotContain("strict", result.Stdout);
    }

    // ---- 3. two trains to one --out ----

    [Fact]
    public void A_second_train_to_the_same_out_fails_at_once_naming_the_first_runs_process()
    {
        var output = Path.Combine(set.Root, "train-locked");
        using (HoldLock(output, $"process {Environment.ProcessId} (mjvideo train), started just now"))
        {
            var result = set.Run("train", "--data", set.Data, "--out", output, "--quick");

            Assert.True(result.ExitCode == 1, result.ToString());
            Assert.Contains($"process {Environment.ProcessId}", result.Stderr);
            Assert.False(Directory.Exists(output));
        }
    }

    // ---- 4. folder scoring ----

    [Fact]
    public void Folder_scoring_scores_every_good_file_reports_every_bad_one_and_lists_what_it_skips()
    {
        var folder = Path.Combine(set.Root, "samples");
        Directory.CreateDirectory(Path.Combine(folder, "more"));
        var clip = Path.Combine(set.Data, "videos", "test", "0_0.mp4");
        foreach (var name in new[] { "a.mp4", "B.MP4", "c.mov", "d.mkv", Path.Combine("more", "e.mp4") })
            File.Copy(clip, Path.Combine(folder, name));
        File.WriteAllBytes(Path.Combine(folder, "bad-random.mp4"), Enumerable.Range(0, 4096).Select(i => (byte)(i * 37 % 251)).ToArray());
        File.WriteAllBytes(Path.Combine(folder, "bad-empty.mp4"), []);
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "not a video");

        var result = set.Run("score", "--model", set.Checkpoint, "--caption", "a red square", folder, "--json");

        Assert.True(result.ExitCode == 1, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        Assert.Equal(["B.MP4", "a.mp4", "c.mov", "d.mkv"], root.GetProperty("videos").EnumerateArray().Select(v => v.GetProperty("video").GetString()));
        Assert.Equal(["bad-empty.mp4", "bad-random.mp4"], root.GetProperty("failed").EnumerateArray().Select(v => v.GetProperty("video").GetString()));
        Assert.All(root.GetProperty("failed").EnumerateArray(), f => Assert.False(string.IsNullOrWhiteSpace(f.GetProperty("reason").GetString())));
        Assert.Equal([Path.Combine(folder, "more"), Path.Combine(folder, "notes.txt")],
            root.GetProperty("skipped").EnumerateArray().Select(v => v.GetProperty("path").GetString()));
        Assert.Contains("2 of 6 video file(s) could not be scored", result.Stderr);
        Assert.Contains(Path.Combine(folder, "bad-random.mp4"), result.Stderr);
        Assert.Contains(Path.Combine(folder, "bad-empty.mp4"), result.Stderr);

        var recursive = set.Run("score", "--model", set.Checkpoint, "--caption", "a red square", folder, "--json", "--recursive");
        using var all = JsonDocument.Parse(recursive.Stdout);
        Assert.Contains("more/e.mp4", all.RootElement.GetProperty("videos").EnumerateArray().Select(v => v.GetProperty("video").GetString()));
    }

    // ---- 6. portable checkpoints ----

    [Fact]
    public void A_checkpoint_moved_to_another_folder_holds_no_absolute_path_and_scores_from_outside_the_repository()
    {
        var elsewhere = RepoPaths.NewTempDir("moved");
        var checkpoint = set.CopyCheckpoint(Path.Combine(elsewhere, "judge"));
        var clip = Path.Combine(elsewhere, "clip.mp4");
        File.Copy(Path.Combine(set.Data, "videos", "test", "1_0.mp4"), clip);
        var userCache = Path.Combine(elsewhere, "user-cache");
        var environment = new Dictionary<string, string?>
        {
            ["MJVIDEO_ROOT"] = null, ["MJVIDEO_SCRATCH"] = Path.Combine(elsewhere, "scratch"), ["XDG_CACHE_HOME"] = userCache,
        };

        var result = CliRunner.Run(elsewhere, environment, "score", "--model", checkpoint, "--caption", "a red square", clip, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("\"score\"", result.Stdout);
        Assert.True(Directory.Exists(Path.Combine(userCache, "mjvideo")), "outside the repository, caches go to the per-user folder");
        var info = File.ReadAllText(Path.Combine(checkpoint, "checkpoint.json"));
        Assert.DoesNotContain(set.Root, info);
        Assert.DoesNotContain(RepoPaths.Root, info);
        Assert.Matches("\"Format\": \"mjvideo-checkpoint/\\d+\"", info);
        Directory.Delete(elsewhere, recursive: true);
    }

    [Fact]
    public void A_schema_1_checkpoint_is_read_without_its_cache_folder_and_a_newer_schema_is_refused_saying_what_to_do()
    {
        var clip = Path.Combine(set.Data, "videos", "test", "0_0.mp4");
        var oldMachineCache = Path.Combine(set.Root, "old-machine", "cache");
        var schema1 = set.CopyCheckpoint(Path.Combine(set.Root, "schema-1"));
        var info = JsonNode.Parse(File.ReadAllText(Path.Combine(schema1, "checkpoint.json")))!.AsObject();
        info["Format"] = "mjvideo-checkpoint/1";
        info["Backbone"]!["CacheDir"] = oldMachineCache;
        info.Remove("FileSizes");
        File.WriteAllText(Path.Combine(schema1, "checkpoint.json"), info.ToJsonString());

        var read = set.Run("score", "--model", schema1, "--caption", "x", clip, "--json");

        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.False(Directory.Exists(oldMachineCache), "the training machine's cache folder must not be used or created");

        var schema99 = set.CopyCheckpoint(Path.Combine(set.Root, "schema-99"));
        var infoFile = Path.Combine(schema99, "checkpoint.json");
        File.WriteAllText(infoFile, Regex.Replace(File.ReadAllText(infoFile), "mjvideo-checkpoint/\\d+", "mjvideo-checkpoint/99"));

        var refused = set.Run("score", "--model", schema99, "--caption", "x", clip);

        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains("schema 99", refused.Stderr);
        Assert.Contains("Update mjvideo", refused.Stderr);
    }

    // ---- 7. truncated weights ----

    [Fact]
    public void A_truncated_weight_file_is_named_with_its_expected_and_actual_size_and_the_fix()
    {
        var checkpoint = set.CopyCheckpoint(Path.Combine(set.Root, "truncated"));
        var head = Path.Combine(checkpoint, "head.safetensors");
        var full = new FileInfo(head).Length;
        using (var stream = new FileStream(head, FileMode.Open)) stream.SetLength(full / 2);

        var result = set.Run("score", "--model", checkpoint, "--caption", "x", Path.Combine(set.Data, "videos", "test", "0_0.mp4"));

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(head, result.Stderr);
        Assert.Contains($"{full / 2} bytes", result.Stderr);
        Assert.Contains($"{full} bytes", result.Stderr);
        Assert.Contains("retrain", result.Stderr);
    }

    // ---- 8. interrupted training ----

    [Fact]
    public void Interrupted_training_says_where_resume_continues_and_resume_uses_a_copy_left_between_two_renames()
    {
        var output = Path.Combine(set.Root, "interrupted");
        using var process = Process.Start(CliRunner.StartInfo(set.Root, set.Environment,
            "train", "--data", set.Data, "--out", output, "--stages", "3", "--seed", "1"))!;
        var stderr = process.StandardError.ReadToEndAsync();
        // The full preset's stage 3 runs 3 epochs of 2 steps; the signal goes out as soon as the first epoch is reported.
        string? line;
        while ((line = process.StandardOutput.ReadLine()) is not null && !line.Contains("stage 3 epoch 1:")) { }
        Assert.NotNull(line);
        CliRunner.Signal(process, "INT");
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();

        Assert.Equal(130, process.ExitCode);
        Assert.Matches("interrupted at step \\d+; `--resume` continues from epoch \\d+", stderr.GetAwaiter().GetResult());

        // A kill between a checkpoint write's two renames leaves the checkpoint as .NAME.old-* and a temporary folder.
        var parent = Path.GetDirectoryName(output)!;
        var old = Path.Combine(parent, ".interrupted.old-0123456789abcdef");
        Directory.Move(output, old);
        var temporary = Path.Combine(parent, ".interrupted.tmp-fedcba9876543210");
        Directory.CreateDirectory(temporary);
        File.WriteAllBytes(Path.Combine(temporary, "head.safetensors"), new byte[1000]);

        var resumed = set.Run("train", "--data", set.Data, "--out", output, "--resume");

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains("completed", resumed.Stdout);
        Assert.Contains("restored the checkpoint", resumed.Stderr);
        Assert.False(Directory.Exists(old));
        Assert.False(Directory.Exists(temporary));
    }

    // ---- 9. errors scripts can parse ----

    [Fact]
    public void Errors_go_to_stderr_with_one_exit_code_scheme_and_a_json_error_object_with_json()
    {
        var unknownOption = set.Run("info", "--bogus");
        Assert.True(unknownOption.ExitCode == 2, unknownOption.ToString());
        Assert.Equal("", unknownOption.Stdout);
        Assert.Contains("bogus", unknownOption.Stderr);

        var mistyped = set.Run("eval", "--jsn");
        Assert.True(mistyped.ExitCode == 2, mistyped.ToString());
        Assert.Contains("jsn", mistyped.Stderr);

        var version = set.Run("--version");
        Assert.Equal(0, version.ExitCode);
        Assert.Matches("commit [0-9a-f]{12}", version.Stdout);

        var notebooks = set.Run("notebooks", "--only", "nosuch");
        Assert.True(notebooks.ExitCode == 2, notebooks.ToString());
        Assert.Contains("00-quickstart.ipynb", notebooks.Stderr);

        // A long path stays on one line of stderr (no wrapping at a console width), and --json adds the error object.
        var missing = Path.Combine(set.Root, new string('x', 120), "no-such-dataset");
        var plain = set.Run("eval", "--data", missing, "--model", "baseline:random");
        Assert.True(plain.ExitCode == 1, plain.ToString());
        Assert.Equal("", plain.Stdout);
        Assert.Contains(plain.Stderr.Split('\n'), l => l.StartsWith("error: ") && l.Contains(missing));

        var json = set.Run("eval", "--data", missing, "--model", "baseline:random", "--json");
        Assert.True(json.ExitCode == 1, json.ToString());
        Assert.Contains(missing, json.Stderr);
        using var error = JsonDocument.Parse(json.Stdout);
        Assert.Contains(missing, error.RootElement.GetProperty("error").GetString());
        Assert.Equal(1, error.RootElement.GetProperty("exit_code").GetInt32());
        Assert.True(error.RootElement.TryGetProperty("file", out _));
    }

    // ---- 10. smaller messages ----

    [Fact]
    public void Unclear_messages_now_say_what_is_wrong_and_what_to_do()
    {
        var folder = set.Run("stats", set.Data);
        Assert.True(folder.ExitCode == 2, folder.ToString());
        Assert.Contains("is a folder", folder.Stderr);
        Assert.Contains("test.json", folder.Stderr);

        var videosFile = set.Run("stats", Path.Combine(set.Data, "test.json"), "--videos", Path.Combine(set.Data, "test.json"));
        Assert.True(videosFile.ExitCode == 2, videosFile.ToString());
        Assert.Contains("is a file", videosFile.Stderr);

        var fileAsData = set.Run("eval", "--data", Path.Combine(set.Data, "test.json"), "--model", "baseline:random");
        Assert.True(fileAsData.ExitCode == 1, fileAsData.ToString());
        Assert.Contains("is a file", fileAsData.Stderr);
        Assert.DoesNotContain("test.json/test.json", fileAsData.Stderr);

        var noSplit = set.Run("eval", "--data", set.Data, "--split", "tset", "--model", "baseline:random");
        Assert.True(noSplit.ExitCode == 1, noSplit.ToString());
        Assert.Contains("no split 'tset'", noSplit.Stderr);
        Assert.Contains("test, train, val", noSplit.Stderr);

        var batch = set.Run("score", "--model", set.Checkpoint, "--caption", "x", Path.Combine(set.Data, "videos", "test"), "--batch", "0");
        Assert.True(batch.ExitCode == 2, batch.ToString());
        Assert.Contains("--batch 0", batch.Stderr);
        Assert.DoesNotContain("RewardPipelineOptions", batch.Stderr);

        var empty = set.CopyData("empty", withVideos: false);
        File.WriteAllText(Path.Combine(empty, "test.json"), "[]");
        File.Delete(Path.Combine(empty, "test.manifest.json"));
        var emptyEval = set.Run("eval", "--data", empty, "--model", "baseline:random");
        Assert.True(emptyEval.ExitCode == 1, emptyEval.ToString());
        Assert.Contains("no pairs to evaluate", emptyEval.Stderr);

        // An oracle left by a generation run with another seed.
        var mixed = set.CopyData("other-seed-oracle");
        var other = Path.Combine(set.Root, "seed-2");
        Assert.Equal(0, set.Run("generate", "--out", other, "--split", "test", "--pairs", "4", "--seed", "2", "--no-cache").ExitCode);
        File.Copy(Path.Combine(other, "test.oracle.json"), Path.Combine(mixed, "test.oracle.json"), overwrite: true);
        var mixedEval = set.Run("eval", "--data", mixed, "--model", "baseline:random");
        Assert.True(mixedEval.ExitCode == 1, mixedEval.ToString());
        Assert.Contains("test.oracle.json", mixedEval.Stderr);
        Assert.Contains("seed 2", mixedEval.Stderr);
    }
}
