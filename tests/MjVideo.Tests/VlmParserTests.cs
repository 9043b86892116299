using MjVideo.Baselines.Vlm;

namespace MjVideo.Tests;

/// <summary>The rating parser on hand-written answers; expected ratings and similarities worked out by hand.</summary>
public sealed class VlmParserTests
{
    [Theory]
    // Stated ratings: the requested format, and what models do to it.
    [InlineData("{RATING: Good}", 7)]
    [InlineData("{rating: good}", 7)]
    [InlineData("RATING:Very Good", 8)]
    [InlineData("**Rating:** Very-Good.", 8)]
    [InlineData("{RATING: Extremely  Poor}", 1)]
    [InlineData("RATING: Below Average", 4)]
    [InlineData("RATING: Average", 5)]
    [InlineData("rating - above_average", 6)]
    [InlineData("\"RATING\": \"Outstanding\"", 10)]
    [InlineData("Overall rating: Good-ish", 7)]
    [InlineData("RATING: 10", 10)]
    [InlineData("RATING: 7/10", 7)]
    [InlineData("Rating = 8.0", 8)]
    [InlineData("My rating is 9", 9)]
    [InlineData("Format: {RATING: X}. {RATING: Poor}", 3)]
    [InlineData("RATING: Good. On reflection, RATING: Excellent", 9)]
    [InlineData("I'm sorry for the delay. {RATING: Average}", 5)]
    // The whole answer is a level or a number.
    [InlineData("Good", 7)]
    [InlineData("  very good!", 8)]
    [InlineData("OUTSTANDING.", 10)]
    [InlineData("6", 6)]
    [InlineData("6/10", 6)]
    [InlineData("6 out of 10", 6)]
    [InlineData("10.", 10)]
    public void Stated_and_bare_ratings_are_exact(string answer, int expected)
    {
        var rating = RatingParser.Parse(answer);

        Assert.Equal((expected, RatingOutcome.Exact, 1.0), (rating.Value, rating.Outcome, rating.Similarity));
        Assert.Equal(RatingScale.Levels[expected - 1], rating.Level);
    }

    [Theory]
    // excellent/excelent: one deletion in 9 letters -> 8/9.
    [InlineData("Excelent", 9, 8.0 / 9)]
    // outstanding/outstandng: 1 edit in 11 letters.
    [InlineData("Quality: Outstandng", 10, 10.0 / 11)]
    // below 1, average/avrage 6/7 -> mean 13/14; "Average" alone only 6/7.
    [InlineData("below avrage", 4, 13.0 / 14)]
    // "very good" and "good" both match completely; the longer level wins.
    [InlineData("I would say it is very good overall", 8, 1.0)]
    // good/goood: 1 edit in 5 letters = 0.8, exactly the cutoff.
    [InlineData("RATNG: Goood", 7, 0.8)]
    // extremely/extremly 8/9 and poor 1: 1.89 words matched beat "Poor"'s 1 (a complete match of a shorter level).
    [InlineData("Looks extremly poor to me", 1, (8.0 / 9 + 1) / 2)]
    public void Unstated_levels_are_matched_fuzzily(string answer, int expected, double similarity)
    {
        var rating = RatingParser.Parse(answer);

        Assert.Equal((expected, RatingOutcome.Fuzzy), (rating.Value, rating.Outcome));
        Assert.Equal(similarity, rating.Similarity, 9);
    }

    [Theory]
    [InlineData("RATING: 11")]
    [InlineData("RATING: 0")]
    [InlineData("RATING: 7.5")]
    [InlineData("The video shows a cat on a sofa.")]
    [InlineData("The food looks tasty")] // food/good 0.75 is below the word floor
    [InlineData("It is not poor, it is good.")] // two different levels tie: ambiguous
    [InlineData("   ")]
    [InlineData("")]
    public void Answers_naming_no_level_are_unmapped(string answer)
    {
        var rating = RatingParser.Parse(answer);

        Assert.Equal((0, RatingOutcome.Unmapped), (rating.Value, rating.Outcome));
        Assert.False(rating.IsParsed);
        Assert.False(rating.IsFailure);
        Assert.Null(rating.Level);
    }

    [Fact]
    public void A_null_answer_is_unmapped() => Assert.Equal(RatingOutcome.Unmapped, RatingParser.Parse(null).Outcome);

    [Fact]
    public void A_tie_between_two_levels_names_both()
    {
        var rating = RatingParser.Parse("It is not poor, it is good.");

        Assert.Equal("ambiguous: 'Poor' and 'Good' both at 1.00", rating.Detail);
    }

    [Theory]
    [InlineData("I'm sorry, but I cannot rate this video.")]
    [InlineData("As an AI, I am unable to judge videos.")]
    [InlineData("I can't help with that request.")]
    [InlineData("I must decline to evaluate this content.")]
    public void Refusals_are_failures(string answer)
    {
        var rating = RatingParser.Parse(answer);

        Assert.Equal((-1, RatingOutcome.Refused), (rating.Value, rating.Outcome));
        Assert.True(rating.IsFailure);
    }

    [Theory]
    [InlineData("very-good", 8)]
    [InlineData("GOOD", 7)]
    [InlineData("Extremely poor", 1)]
    [InlineData("great", 0)]
    [InlineData("good very", 0)]
    public void Level_names_map_to_their_rank(string level, int expected) => Assert.Equal(expected, RatingScale.RatingOf(level));

    [Fact]
    public void Scale_has_ten_levels_worst_to_best()
    {
        Assert.Equal(10, RatingScale.Levels.Count);
        Assert.Equal("Extremely Poor", RatingScale.Levels[0]);
        Assert.Equal("Average", RatingScale.Levels[4]);
        Assert.Equal("Outstanding", RatingScale.Levels[9]);
    }

    [Theory]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    [InlineData("good", "good", 0)]
    [InlineData("good", "food", 1)]
    [InlineData("excellent", "excelent", 1)]
    public void Levenshtein_distance(string a, string b, int expected)
    {
        Assert.Equal(expected, RatingParser.Levenshtein(a, b));
        Assert.Equal(expected, RatingParser.Levenshtein(b, a));
    }

    [Fact]
    public void Similarity_is_the_mean_best_word_match_with_a_floor()
    {
        // very 1, good/goood 0.8 -> 0.9
        Assert.Equal(0.9, RatingParser.Similarity(["very", "good"], ["goood", "very"]), 12);
        // good/food 0.75 < 0.8 counts 0; very 1 -> 0.5
        Assert.Equal(0.5, RatingParser.Similarity(["very", "good"], ["very", "food"]), 12);
        Assert.Equal(0, RatingParser.Similarity(["good"], []));
    }

    [Fact]
    public void Words_are_lower_case_letter_and_digit_runs() =>
        Assert.Equal(["rating", "very", "good", "7"], RatingParser.Words("{RATING: Very-Good} (7)"));
}
