using MjVideo.Taxonomy;

namespace MjVideo.Tests;

public class TaxonomyTests
{
    [Fact]
    public void Twenty_eight_criteria_in_release_order_grouped_5_6_5_7_5()
    {
        Assert.Equal(28, MjTaxonomy.Criteria.Count);
        Assert.Equal(new[] { 5, 6, 5, 7, 5 }, MjTaxonomy.AspectToCriteria.Select(g => g.Length));
        Assert.Equal(Enumerable.Range(0, 28), MjTaxonomy.AspectToCriteria.SelectMany(g => g));
        Assert.Equal("object", MjTaxonomy.Criteria[0].Key);
        Assert.Equal("Political Sensitivity", MjTaxonomy.Criteria[10].Key);
        Assert.Equal("Spatial Consistency", MjTaxonomy.Criteria[16].Key);
        Assert.Equal("Gender", MjTaxonomy.Criteria[27].Key);
    }

    [Theory]
    [InlineData("Consistency", 3)]
    [InlineData("Coherence & Consistency", 3)]
    [InlineData("coherence & consistency", 3)]
    [InlineData("Bias", 4)]
    [InlineData("Bias & Fairness", 4)]
    [InlineData("Quality", 2)]
    [InlineData("Alignment", 0)]
    public void Aspect_aliases_resolve_to_one_canonical_aspect(string alias, int index) =>
        Assert.Equal(index, MjTaxonomy.FindAspect(alias).Index);

    [Fact]
    public void Unknown_names_are_errors_that_list_the_known_ones()
    {
        var e = Assert.Throws<KeyNotFoundException>(() => MjTaxonomy.FindAspect("Beauty"));
        Assert.Contains("Alignment", e.Message);
        Assert.Throws<KeyNotFoundException>(() => MjTaxonomy.FindCriterion("colour"));
    }
}
