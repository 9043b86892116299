using MjVideo.Data;
using MjVideo.Evaluation;
using MjVideo.Synth;
using MjVideo.Video;

namespace MjVideo.Tests;

/// <summary>Small datasets and clips for the baseline judge tests: pairs held in memory, scenes drawn by SynthBench's
/// renderer and encoded with the project's encoder.</summary>
static class BaselineTestKit
{
    public const int Size = 64;
    public const int Frames = 16;

    /// <summary>A dataset of the given pairs, as if read from <paramref name="sourceFile"/>, videos under <paramref name="videosRoot"/>.</summary>
    public static JudgeInput Input(IReadOnlyList<PreferencePair> pairs, string sourceFile, string? videosRoot = null,
        IReadOnlyList<ExtraFields>? extras = null) =>
        new(new PreferenceDataset
        {
            Format = DatasetFormat.Release,
            SourceFile = Path.GetFullPath(sourceFile),
            VideosRoot = videosRoot is null ? null : Path.GetFullPath(videosRoot),
            Pairs = pairs,
            Extras = extras ?? pairs.Select(_ => new ExtraFields()).ToList(),
        });

    public static PreferencePair Pair(int index, string video0, string video1, PreferenceLabel overall, string sourceFile = "test.json",
        VideoAnnotation? labels0 = null, VideoAnnotation? labels1 = null, string caption = "a red circle moves") => new()
    {
        SourceFile = sourceFile, Index = index, Caption = caption, Video0 = video0, Video1 = video1,
        Labels0 = labels0, Labels1 = labels1, Overall = overall,
    };

    /// <summary>A room with objects of the given colours and radii; each object's centre in frame t comes from <paramref name="path"/>.</summary>
    public static VideoScene Scene(params (Shape Shape, Rgb Colour, double Radius, Func<int, (double X, double Y)> Path)[] objects)
    {
        var scene = new VideoScene
        {
            Frames = Frames,
            Background = SceneKind.Room,
            TexturePhaseX = 0.4,
            TexturePhaseY = 1.3,
            BackgroundSwap = Enumerable.Repeat(SceneKind.Room, Frames).ToArray(),
            BackgroundSwapMix = new double[Frames],
            Brightness = Enumerable.Repeat(1.0, Frames).ToArray(),
            ShadowAngle = Enumerable.Repeat(VideoScene.DefaultShadowAngle, Frames).ToArray(),
        };
        for (var i = 0; i < objects.Length; i++)
        {
            var (shape, colour, radius, path) = objects[i];
            var positions = Enumerable.Range(0, Frames).Select(path).ToArray();
            scene.Objects.Add(new SceneObject
            {
                Group = i, Shape = shape, Color = colour, Radius = radius, MorphTarget = shape,
                X = positions.Select(p => p.X).ToArray(), Y = positions.Select(p => p.Y).ToArray(),
                Visible = Enumerable.Repeat(true, Frames).ToArray(),
            });
        }
        return scene;
    }

    public static byte[][] Render(VideoScene scene) => new Renderer(Size).Render(scene);

    /// <summary>Encodes frames as dir/name.mp4 (yuv444p, CRF 10, 8 fps: SynthBench's settings) and returns the path.</summary>
    public static string Encode(string dir, string name, IEnumerable<byte[]> frames)
    {
        var path = Path.Combine(dir, name + ".mp4");
        VideoEncoder.EncodeAsync(frames, Size, Size, path).GetAwaiter().GetResult();
        return path;
    }

    public static double[] Scores(IReadOnlyList<JudgedPair> pairs, int video) => pairs.Select(p => p.Of(video).Score).ToArray();
}
