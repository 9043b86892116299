namespace MjVideo.Data;

/// <summary>A preference between the two videos of a pair. "Video 1" is video_0 in the release files.</summary>
public enum PreferenceLabel
{
    Video1Better,
    Video2Better,
    Same,
    HardToJudge,
    /// <summary>GenAI-Bench's bothbad_vote: a tie in which both videos are bad.</summary>
    BothBad,
}

/// <summary>The release's preference strings, matched case-insensitively in one place.</summary>
public static class PreferenceStrings
{
    public const string Video1Better = "Video 1 better";
    public const string Video2Better = "Video 2 better";
    public const string Same = "Same";
    public const string HardToJudge = "Hard to judge";

    public static readonly IReadOnlyList<string> Accepted = [Video1Better, Video2Better, Same, HardToJudge];

    /// <summary>
    /// Parses a release preference string. Matching ignores case and surrounding/multiple spaces, so the release's
    /// "Video 1 Better" variant (6 test pairs, dropped by the official case-sensitive code) counts.
    /// </summary>
    public static bool TryParse(string? text, out PreferenceLabel label)
    {
        label = default;
        if (text is null) return false;
        var normalised = string.Join(' ', text.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToLowerInvariant();
        switch (normalised)
        {
            case "video 1 better": label = PreferenceLabel.Video1Better; return true;
            case "video 2 better": label = PreferenceLabel.Video2Better; return true;
            case "same": label = PreferenceLabel.Same; return true;
            case "hard to judge": label = PreferenceLabel.HardToJudge; return true;
            default: return false;
        }
    }

    public static string ToReleaseString(this PreferenceLabel label) => label switch
    {
        PreferenceLabel.Video1Better => Video1Better,
        PreferenceLabel.Video2Better => Video2Better,
        PreferenceLabel.Same => Same,
        PreferenceLabel.HardToJudge => HardToJudge,
        PreferenceLabel.BothBad => "Both bad",
        _ => throw new ArgumentOutOfRangeException(nameof(label)),
    };

    /// <summary>A decisive preference says which video is better; Same, Hard to judge and Both bad do not.</summary>
    public static bool IsDecisive(this PreferenceLabel label) =>
        label is PreferenceLabel.Video1Better or PreferenceLabel.Video2Better;

    /// <summary>0 when video_0 is preferred, 1 when video_1 is (the official coding); null when not decisive.</summary>
    public static int? PreferredIndex(this PreferenceLabel label) => label switch
    {
        PreferenceLabel.Video1Better => 0,
        PreferenceLabel.Video2Better => 1,
        _ => null,
    };
}
