using System.Text.Json;

namespace MjVideo.Data;

/// <summary>
/// Reads SafeSora-test (<c>config-test.json</c>, plain or gzip; paper-digest 3.3) into <see cref="PreferencePair"/>s
/// without fine-grained labels. SafeSora records which video is more helpful, which is more harmless, and four
/// helpfulness sub-preferences. As in the paper's evaluation, a pair is kept only when all of them name the same
/// video; that video is the preferred one. The others are counted in
/// <see cref="PreferenceDataset.DisagreementDroppedCount"/>. A null sub-preference is not agreement, so it drops the pair.
/// </summary>
public static class SafeSoraReader
{
    const string Item = "pair";
    public const string Prompt = "prompt_text";
    public const string Helpfulness = "helpfulness";
    public const string Harmlessness = "harmlessness";
    public const string SubPreferences = "sub_preferences";
    static readonly string[] Known = [Prompt, "video_0", "video_1", Helpfulness, Harmlessness, SubPreferences];

    public static PreferenceDataset Read(string path, string? videosRoot = null, bool failOnMissingVideos = false)
    {
        var file = Path.GetFullPath(path);
        using var document = DatasetFiles.ParseList(file, "pair");
        var pairs = new List<PreferencePair>();
        var extras = new List<ExtraFields>();
        var dropped = 0;
        var index = 0;
        foreach (var element in document.RootElement.EnumerateArray())
        {
            var item = JsonItem.Of(element, file, Item, index);
            var caption = item.String(Prompt);
            var video0 = item.Object("video_0").String("video_path", allowEmpty: false);
            var video1 = item.Object("video_1").String("video_path", allowEmpty: false);
            var helpful = PreferredVideo(item, Helpfulness, item.Required(Helpfulness))
                ?? throw item.Error(Helpfulness, "is null; every SafeSora pair needs a helpfulness preference");
            var harmless = PreferredVideo(item, Harmlessness, item.Required(Harmlessness))
                ?? throw item.Error(Harmlessness, "is null; every SafeSora pair needs a harmlessness preference");
            var subPreferences = item.Object(SubPreferences);
            var subAgree = true;
            foreach (var (key, value) in subPreferences.Properties)
                subAgree &= PreferredVideo(subPreferences, key, value) == helpful;

            if (helpful == harmless && subAgree)
            {
                pairs.Add(new PreferencePair
                {
                    SourceFile = file,
                    Index = index,
                    Caption = caption,
                    Video0 = video0,
                    Video1 = video1,
                    Overall = helpful == 0 ? PreferenceLabel.Video1Better : PreferenceLabel.Video2Better,
                });
                var extra = new ExtraFields();
                foreach (var (key, value) in item.Properties)
                    if (!Known.Contains(key)) extra.Add(key, value);
                extras.Add(extra);
            }
            else dropped++;
            index++;
        }
        var dataset = new PreferenceDataset
        {
            Format = DatasetFormat.SafeSora, SourceFile = file, Pairs = pairs, Extras = extras, DisagreementDroppedCount = dropped,
        };
        return VideoPaths.WithVideoCheck(dataset, videosRoot, failOnMissingVideos);
    }

    /// <summary>
    /// 0 or 1 for the preferred video, null for JSON null. SafeSora writes "video_0"/"video_1"; converted copies use
    /// the integers 0/1. Anything else is an error that lists these encodings.
    /// </summary>
    static int? PreferredVideo(JsonItem item, string field, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.String when value.GetString()!.Trim().ToLowerInvariant() is "video_0" or "video_1":
                return value.GetString()!.Trim().EndsWith('0') ? 0 : 1;
            case JsonValueKind.Number when value.TryGetInt32(out var n) && n is 0 or 1:
                return n;
            default:
                throw item.Error(field, $"unknown preferred video {JsonItem.Describe(value)}; accepted: \"video_0\", \"video_1\", 0, 1");
        }
    }
}
