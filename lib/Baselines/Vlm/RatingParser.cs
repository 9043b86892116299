using System.Globalization;
using System.Text.RegularExpressions;

namespace MjVideo.Baselines.Vlm;

/// <summary>How an answer became a rating (or did not).</summary>
public enum RatingOutcome
{
    /// <summary>The answer states the rating: "RATING: X" (any case, spacing or brackets), or the whole answer is a level
    /// name or a number on the scale.</summary>
    Exact,
    /// <summary>No stated rating; the level names matched best by <see cref="RatingParser.Similarity"/>.</summary>
    Fuzzy,
    /// <summary>An answer that names no level closely enough (the paper's 0).</summary>
    Unmapped,
    /// <summary>The model declined to rate (the paper's -1).</summary>
    Refused,
    /// <summary>No answer: the request failed after its retries, timed out, or the response could not be read (the paper's -1).</summary>
    Failed,
}

/// <summary>
/// One rating: <see cref="Value"/> is 1..10 when parsed, 0 when unmapped and -1 for a refusal or failure (the codes
/// the paper's scripts store); <see cref="Similarity"/> is the fuzzy score of the chosen level (1 for exact ratings,
/// the best score found for unmapped answers); <see cref="Detail"/> says why.
/// </summary>
public sealed record ParsedRating(int Value, RatingOutcome Outcome, double Similarity, string Detail)
{
    public const int UnmappedValue = 0;
    public const int FailedValue = -1;

    public bool IsParsed => Outcome is RatingOutcome.Exact or RatingOutcome.Fuzzy;
    public bool IsFailure => Outcome is RatingOutcome.Refused or RatingOutcome.Failed;

    /// <summary>The level name of a parsed rating; null otherwise.</summary>
    public string? Level => IsParsed ? RatingScale.Levels[Value - 1] : null;

    public static ParsedRating Failure(string reason) => new(FailedValue, RatingOutcome.Failed, 0, reason);
}

/// <summary>The paper's 10-level scale (paper-digest 3.1), worst to best; level i + 1 is rating i + 1.</summary>
public static class RatingScale
{
    public static readonly IReadOnlyList<string> Levels =
    [
        "Extremely Poor", "Very Poor", "Poor", "Below Average", "Average",
        "Above Average", "Good", "Very Good", "Excellent", "Outstanding",
    ];

    public const int Lowest = 1;
    public const int Highest = 10;

    /// <summary>The rating of a level name (1..10), ignoring case and spacing; 0 when it is not a level.</summary>
    public static int RatingOf(string level)
    {
        var words = RatingParser.Words(level);
        for (var i = 0; i < Levels.Count; i++)
            if (RatingParser.Words(Levels[i]).SequenceEqual(words)) return i + 1;
        return 0;
    }
}

/// <summary>
/// Turns a judge's free-text answer into a rating on <see cref="RatingScale"/>, tolerating what models do to the
/// requested <c>{RATING: X}</c>. In order:
/// <list type="number">
/// <item>A stated rating: the word "rating", then anything but letters and digits (colons, braces, quotes, asterisks,
/// "=", spaces), optionally "is" or "of", then a level name (its words separated by anything but letters and digits,
/// so "very-good" and "VERY  GOOD" count) or an integer 1..10 (also "7.0", "7/10"). The last such statement wins: a
/// model that first repeats the format and then answers is read by its answer.</item>
/// <item>An answer that is nothing but a level name or a number 1..10 (optionally "/10" or "out of 10").</item>
/// <item>A refusal ("I'm sorry", "I cannot", "unable to", ...; see <see cref="RefusalPhrases"/>): a failure. Checked only
/// after 1 and 2, so a stated rating is kept even when the model also apologises.</item>
/// <item>Otherwise the best level by <see cref="Similarity"/> to the answer (see <see cref="BestFuzzyMatch"/>), if it
/// reaches <see cref="FuzzyCutoff"/> and is not tied with a different level: the analogue of the paper's
/// <c>fuzzywuzzy.process.extractOne(answer, choices)</c>, with a similarity defined here (below) instead of
/// fuzzywuzzy's WRatio, so that a long answer cannot match a level through letters that happen to line up.</item>
/// <item>Anything else is unmapped (0).</item>
/// </list>
/// </summary>
public static class RatingParser
{
    /// <summary>The lowest similarity at which a fuzzy match is accepted.</summary>
    public const double FuzzyCutoff = 0.8;

    /// <summary>Two words below this similarity do not match at all (so "food" does not count as "good", 0.75).</summary>
    public const double WordMatchFloor = 0.8;

    /// <summary>Phrases that mark a refusal when the answer states no rating (compared on lower-case words).</summary>
    public static readonly IReadOnlyList<string> RefusalPhrases =
    [
        "i m sorry", "i am sorry", "i apologize", "i apologise", "sorry but", "i cannot", "i can t", "i can not",
        "i won t", "i will not", "i m unable", "i am unable", "unable to", "not able to", "as an ai",
        "cannot assist", "can t assist", "cannot help", "can t help", "i must decline", "i decline",
    ];

    static readonly string[][] LevelWords = RatingScale.Levels.Select(l => Words(l)).ToArray();

    // Level names longest first, so that "very good" is tried before "good" and "below average" before "average".
    static readonly string LevelAlternation = string.Join("|",
        RatingScale.Levels.OrderByDescending(l => l.Length).Select(l => string.Join(@"[^a-z0-9]+", Words(l).Select(Regex.Escape))));

    const string Separator = @"[^a-z0-9]*";

    static readonly Regex Stated = new(
        $@"\brating\b{Separator}(?:(?:is|of)\b{Separator})?(?:(?<level>{LevelAlternation})\b|(?<number>\d+(?:\.\d+)?)(?![0-9]|\.[0-9]))",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled);

    static readonly Regex BareNumber = new(
        @"^\s*(?<number>\d+(?:\.\d+)?)\s*(?:/\s*10|out\s+of\s+10)?\s*[.!]?\s*$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled);

    public static ParsedRating Parse(string? answer)
    {
        if (string.IsNullOrWhiteSpace(answer)) return new(ParsedRating.UnmappedValue, RatingOutcome.Unmapped, 0, "empty answer");

        var statements = Stated.Matches(answer);
        for (var i = statements.Count - 1; i >= 0; i--)
            if (FromMatch(statements[i]) is { } stated) return stated;

        var words = Words(answer);
        for (var level = 0; level < LevelWords.Length; level++)
            if (LevelWords[level].SequenceEqual(words))
                return new(level + 1, RatingOutcome.Exact, 1, $"the answer is the level '{RatingScale.Levels[level]}'");
        if (BareNumber.Match(answer) is { Success: true } bare && ScaleNumber(bare.Groups["number"].Value) is { } number)
            return new(number, RatingOutcome.Exact, 1, $"the answer is the number {number}");

        var joined = " " + string.Join(' ', words) + " ";
        if (RefusalPhrases.FirstOrDefault(p => joined.Contains(" " + p + " ", StringComparison.Ordinal)) is { } refusal)
            return new(ParsedRating.FailedValue, RatingOutcome.Refused, 0, $"refusal ('{refusal}')");

        return BestFuzzyMatch(words);
    }

    static ParsedRating? FromMatch(Match match)
    {
        if (match.Groups["level"].Success)
        {
            var rating = RatingScale.RatingOf(match.Groups["level"].Value);
            return new(rating, RatingOutcome.Exact, 1, $"stated level '{RatingScale.Levels[rating - 1]}'");
        }
        return ScaleNumber(match.Groups["number"].Value) is { } number
            ? new(number, RatingOutcome.Exact, 1, $"stated number {number}")
            : null;
    }

    /// <summary>An integer 1..10 ("7", "7.0"); null for 0, 11, 7.5 and the like.</summary>
    static int? ScaleNumber(string text)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) return null;
        if (value != Math.Floor(value) || value < RatingScale.Lowest || value > RatingScale.Highest) return null;
        return (int)value;
    }

    /// <summary>
    /// Among the levels whose <see cref="Similarity"/> reaches <see cref="FuzzyCutoff"/>, the one that accounts for the
    /// most of the answer: the largest similarity x word count (the summed word matches), then the larger similarity.
    /// So "very good" beats "Good" when the answer says "very good" (2 words matched against 1), and a typo in a longer
    /// level ("extremly poor": 1.89 over 2 words) still beats the shorter level it contains ("Poor": 1 over 1). A
    /// remaining tie between different levels ("not poor but good") is ambiguous and unmapped.
    /// </summary>
    static ParsedRating BestFuzzyMatch(string[] answerWords)
    {
        var scored = LevelWords.Select((level, i) => (Rating: i + 1, Score: Similarity(level, answerWords), Covered: Similarity(level, answerWords) * level.Length))
            .ToList();
        var candidates = scored.Where(s => s.Score >= FuzzyCutoff)
            .OrderByDescending(s => s.Covered).ThenByDescending(s => s.Score).ToList();
        if (candidates.Count == 0)
        {
            var closest = scored.MaxBy(s => s.Score);
            return new(ParsedRating.UnmappedValue, RatingOutcome.Unmapped, closest.Score,
                $"no level close enough (best '{RatingScale.Levels[closest.Rating - 1]}' at {closest.Score:0.00} < {FuzzyCutoff})");
        }
        var best = candidates[0];
        if (candidates.Count > 1 && Math.Abs(candidates[1].Covered - best.Covered) < 1e-9 && Math.Abs(candidates[1].Score - best.Score) < 1e-9)
            return new(ParsedRating.UnmappedValue, RatingOutcome.Unmapped, best.Score,
                $"ambiguous: '{RatingScale.Levels[best.Rating - 1]}' and '{RatingScale.Levels[candidates[1].Rating - 1]}' both at {best.Score:0.00}");
        return new(best.Rating, RatingOutcome.Fuzzy, best.Score,
            $"fuzzy match '{RatingScale.Levels[best.Rating - 1]}' at {best.Score:0.00}");
    }

    /// <summary>
    /// How completely a level's words occur in an answer, in [0, 1]: the mean over the level's words of the best
    /// <see cref="WordSimilarity"/> to any word of the answer, a word pair below <see cref="WordMatchFloor"/> counting 0.
    /// Token-based like fuzzywuzzy's token-set ratio (word order and extra words do not matter), with typos tolerated
    /// per word: "Excelent" scores 8/9 against "Excellent".
    /// </summary>
    public static double Similarity(IReadOnlyList<string> levelWords, IReadOnlyList<string> answerWords)
    {
        if (levelWords.Count == 0 || answerWords.Count == 0) return 0;
        var total = 0.0;
        foreach (var word in levelWords)
        {
            var best = answerWords.Max(a => WordSimilarity(word, a));
            total += best >= WordMatchFloor ? best : 0;
        }
        return total / levelWords.Count;
    }

    /// <summary>1 - Levenshtein distance / length of the longer word; 1 for equal words, 0 for nothing in common.</summary>
    public static double WordSimilarity(string a, string b)
    {
        if (a.Length == 0 && b.Length == 0) return 1;
        return 1 - (double)Levenshtein(a, b) / Math.Max(a.Length, b.Length);
    }

    public static int Levenshtein(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    /// <summary>Lower-case runs of letters and digits: "{RATING: Very-Good}" -> [rating, very, good].</summary>
    public static string[] Words(string text) =>
        Regex.Split(text.ToLowerInvariant(), "[^a-z0-9]+").Where(w => w.Length > 0).ToArray();
}
