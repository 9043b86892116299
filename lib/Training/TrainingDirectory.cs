using MjVideo.Data;

namespace MjVideo.Training;

/// <summary>
/// A training folder in the release layout (what <c>mjvideo train --data DIR</c> reads): <c>train.json</c> and
/// <c>val.json</c> in the release schema, and the videos under <c>videos/</c> at the paths the files name (SynthBench writes
/// exactly this). Test data is never read here: selection happens on val only.
/// </summary>
public sealed record TrainingDirectory(string Root, PreferenceDataset Train, PreferenceDataset Val)
{
    public const string TrainFile = "train.json";
    public const string ValFile = "val.json";
    public const string VideosFolder = "videos";

    /// <param name="needVideoFiles">whether the backbone reads the video files: then videos/ must hold every one of them
    /// (a missing one is an error listing all that are missing); otherwise, as for precomputed states, they are not needed</param>
    public static TrainingDirectory Read(string directory, bool needVideoFiles)
    {
        var root = Path.GetFullPath(directory);
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"training data folder {root} does not exist");
        var videos = Path.Combine(root, VideosFolder);
        if (needVideoFiles && !Directory.Exists(videos))
            throw new DirectoryNotFoundException($"{root}: no {VideosFolder}/ folder, and this backbone reads the video files");
        var videosRoot = Directory.Exists(videos) ? videos : null;
        PreferenceDataset Split(string file)
        {
            var path = Path.Combine(root, file);
            if (!File.Exists(path)) throw new FileNotFoundException($"{root}: {file} is missing (expected {TrainFile}, {ValFile} and {VideosFolder}/)", path);
            return ReleaseReader.Read(path, videosRoot, failOnMissingVideos: needVideoFiles);
        }
        return new TrainingDirectory(root, Split(TrainFile), Split(ValFile));
    }
}
