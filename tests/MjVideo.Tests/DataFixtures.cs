using MjVideo.Data;

namespace MjVideo.Tests;

/// <summary>
/// The hand-written dataset fixtures in Fixtures/release/. small.json (release schema) holds six pairs:
/// <code>
/// pair  overall           notes
///  0    Video 1 better    labels on 5 criteria per video
///  1    Video 2 Better    casing variant (also "Video 1 Better" for Safety and "Video 2 Better" for Alignment)
///  2    Hard to judge     only Bias labelled (Race 1/1, Gender 1/2); its video test/2_1.mp4 is the missing one below
///  3    Video 2 better    discard: true
///  4    Same              every code 0; keys of video_1_label and video_1_overall_score in reverse order;
///                         extra keys synthbench_version = "fixture-1", config_hash = 12345
///  5    Video 2 better    location, Motion Blurred, Object Drift bad (2) in video 0, good (1) in video 1
/// </code>
/// </summary>
public static class DataFixtures
{
    public static string Release(string name) => Path.Combine(RepoPaths.Fixtures, "release", name);

    public static string Small => Release("small.json");

    /// <summary>A videos root holding every video of small.json's non-discarded pairs except test/2_1.mp4.</summary>
    public static string VideosRootMissingOne()
    {
        var root = RepoPaths.NewTempDir("videos");
        Directory.CreateDirectory(Path.Combine(root, "test"));
        foreach (var name in new[] { "0_0", "0_1", "1_0", "1_1", "2_0", "4_0", "4_1", "5_0", "5_1" })
            File.WriteAllBytes(Path.Combine(root, "test", name + ".mp4"), [0]);
        return root;
    }

    /// <summary>Asserts two pairs carry the same content (the file and index may differ).</summary>
    public static void AssertSameContent(PreferencePair expected, PreferencePair actual)
    {
        Assert.Equal(expected.Caption, actual.Caption);
        Assert.Equal(expected.Video0, actual.Video0);
        Assert.Equal(expected.Video1, actual.Video1);
        foreach (var video in new[] { 0, 1 })
        {
            var e = expected.LabelsOf(video);
            var a = actual.LabelsOf(video);
            Assert.Equal(e is null, a is null);
            if (e is null || a is null) continue;
            Assert.Equal(e.CriterionCodes, a.CriterionCodes);
            Assert.Equal(e.AspectCodes, a.AspectCodes);
            Assert.Equal(e.TotalCode, a.TotalCode);
        }
        Assert.Equal(expected.AspectPreferences, actual.AspectPreferences);
        Assert.Equal(expected.Overall, actual.Overall);
        Assert.Equal(expected.Discard, actual.Discard);
    }
}
