using System.Text.Json;

namespace MjVideo.Data;

/// <summary>
/// Reads GenAI-Bench video-generation rows (paper-digest 3.4) into <see cref="PreferencePair"/>s without fine-grained
/// labels, from a JSON list or a JSON-lines file (one object per line; blank lines are skipped). The left video is
/// video_0 ("Video 1"). Votes: leftvote -> Video 1 better, rightvote -> Video 2 better, tievote -> Same,
/// bothbad_vote -> Both bad. Only left/right votes are decisive; the "Acc" variant of the paper's metrics also uses
/// the two tie kinds, which is why they stay distinct.
/// </summary>
public static class GenAiBenchReader
{
    const string Item = "row";
    public const string Prompt = "prompt";
    public const string LeftVideo = "left_video";
    public const string RightVideo = "right_video";
    public const string VoteType = "vote_type";
    static readonly string[] Known = [Prompt, LeftVideo, RightVideo, VoteType];

    public static readonly IReadOnlyDictionary<string, PreferenceLabel> Votes = new Dictionary<string, PreferenceLabel>
    {
        ["leftvote"] = PreferenceLabel.Video1Better,
        ["rightvote"] = PreferenceLabel.Video2Better,
        ["tievote"] = PreferenceLabel.Same,
        ["bothbad_vote"] = PreferenceLabel.BothBad,
    };

    public static PreferenceDataset Read(string path, string? videosRoot = null, bool failOnMissingVideos = false)
    {
        var file = Path.GetFullPath(path);
        var text = DatasetFiles.ReadText(file);
        var pairs = new List<PreferencePair>();
        var extras = new List<ExtraFields>();
        foreach (var (element, line) in Rows(file, text))
        {
            var index = pairs.Count;
            var item = JsonItem.Of(element, file, Item, index, line);
            var voteElement = item.Required(VoteType);
            var vote = voteElement.ValueKind == JsonValueKind.String ? voteElement.GetString()!.Trim().ToLowerInvariant() : null;
            if (vote is null || !Votes.TryGetValue(vote, out var overall))
                throw item.Error(VoteType, $"unknown vote {JsonItem.Describe(voteElement)}; accepted: {string.Join(", ", Votes.Keys)}");
            pairs.Add(new PreferencePair
            {
                SourceFile = file,
                Index = index,
                Caption = item.String(Prompt),
                Video0 = item.String(LeftVideo, allowEmpty: false),
                Video1 = item.String(RightVideo, allowEmpty: false),
                Overall = overall,
            });
            var extra = new ExtraFields();
            foreach (var (key, value) in item.Properties)
                if (!Known.Contains(key)) extra.Add(key, value);
            extras.Add(extra);
        }
        var dataset = new PreferenceDataset { Format = DatasetFormat.GenAiBench, SourceFile = file, Pairs = pairs, Extras = extras };
        return VideoPaths.WithVideoCheck(dataset, videosRoot, failOnMissingVideos);
    }

    /// <summary>The rows of a JSON list (no line numbers) or of a JSON-lines file (with each row's 1-based line).</summary>
    static IEnumerable<(JsonElement Row, int? Line)> Rows(string file, string text)
    {
        if (text.TrimStart().StartsWith('['))
        {
            using var document = DatasetFiles.Parse(file, text);
            foreach (var row in document.RootElement.EnumerateArray()) yield return (row.Clone(), null);
            yield break;
        }
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            using var document = DatasetFiles.Parse(file, lines[i], where: $" on line {i + 1} (JSON lines: one object per line)");
            yield return (document.RootElement.Clone(), i + 1);
        }
    }
}
