using System.Buffers.Binary;
using Microsoft.Data.Analysis;
using MjVideo.Core;
using MjVideo.Data;
using MjVideo.Evaluation;
using MjVideo.Reports;
using MjVideo.Synth;
using MjVideo.Taxonomy;

namespace MjVideo.Tests;

public class ReportsTests
{
    [Fact]
    public void A_generated_section_is_replaced_between_its_markers_and_nothing_else_changes()
    {
        var text = $"# Title\nhand-written\n{MarkdownSections.Begin("t")}\nold\n{MarkdownSections.End("t")}\ntail\n";
        var updated = MarkdownSections.Replace(text, "t", "new line 1\nnew line 2\n");
        Assert.Equal($"# Title\nhand-written\n{MarkdownSections.Begin("t")}\nnew line 1\nnew line 2\n{MarkdownSections.End("t")}\ntail\n", updated);
        Assert.Equal("new line 1\nnew line 2", MarkdownSections.Read(updated, "t"));
        Assert.Null(MarkdownSections.Read(updated, "other"));
    }

    [Fact]
    public void A_missing_section_is_an_error_naming_the_file_and_the_markers()
    {
        var error = Assert.Throws<InvalidDataException>(() => MarkdownSections.Replace("no markers", "results", "x", "README.md"));
        Assert.Contains("README.md", error.Message);
        Assert.Contains(MarkdownSections.Begin("results"), error.Message);
    }

    [Fact]
    public void Markdown_tables_escape_pipes_and_keep_column_order()
    {
        var table = MarkdownSections.Table(["a", "b|c"], [["1", "x|y"], ["2", "z"]]);
        Assert.Equal("| a | b\\|c |\n|---|---|\n| 1 | x\\|y |\n| 2 | z |", table);
        var frame = new DataFrame(new StringDataFrameColumn("judge", ["j1"]), new Int32DataFrameColumn("n", [7]));
        Assert.Equal("| judge | n |\n|---|---|\n| j1 | 7 |", MarkdownSections.Table(frame));
    }

    [Fact]
    public void Tables_render_as_static_escaped_html()
    {
        var frame = new DataFrame(new StringDataFrameColumn("judge", ["<b>&"]), new Int32DataFrameColumn("n", [3]));
        var html = TableView.Html(frame);
        Assert.Equal("<table><thead><tr><th>judge</th><th>n</th></tr></thead><tbody><tr><td>&lt;b&gt;&amp;</td><td>3</td></tr></tbody></table>", html);
        Assert.DoesNotContain("<script", html);
    }

    [Fact]
    public void A_gallery_sheet_is_a_png_with_one_row_per_criterion_of_the_aspect()
    {
        var png = Gallery.AspectSheet(aspect: 1);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        var width = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16, 4));
        var height = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20, 4));
        // Six tiles of 128 px with 3 px gaps: 6 * 128 + 7 * 3; Safety has six criteria: 6 * 128 + 7 * 3.
        Assert.Equal(6 * 128 + 7 * 3, width);
        Assert.Equal(MjTaxonomy.AspectToCriteria[1].Length * 128 + (MjTaxonomy.AspectToCriteria[1].Length + 1) * 3, height);
    }

    [Fact]
    public void The_taxonomy_table_lists_the_28_criteria_in_release_order()
    {
        var table = SynthReports.Taxonomy();
        Assert.Equal(28, table.Rows.Count);
        Assert.Equal("object", table["criterion (release key)"][0]);
        Assert.Equal("Bias & Fairness", table["aspect"][27]);
    }

    [Fact]
    public async Task The_judge_catalog_names_what_it_knows_and_what_is_missing()
    {
        var dataset = new PreferenceDataset
        {
            Format = DatasetFormat.Release, SourceFile = "test.json", Pairs = [], Extras = [], MissingVideos = [],
        };
        var data = new EvaluationData("toy", dataset, null, null, null);
        var workbook = new Workbook(RepoPaths.Root, RunMode.Quick, RepoPaths.NewTempDir("catalog"));
        var unknown = await Assert.ThrowsAsync<ArgumentException>(() => JudgeCatalog.CreateAsync("baseline:oracle", data, workbook));
        Assert.Contains("noise-ceiling", unknown.Message);
        var noVal = await Assert.ThrowsAsync<InvalidOperationException>(() => JudgeCatalog.CreateAsync("baseline:file-size", data, workbook));
        Assert.Contains("no val split", noVal.Message);
        Assert.Equal("Control: random", (await JudgeCatalog.CreateAsync("baseline:random", data, workbook)).Name);
        Assert.Empty(JudgeCatalog.Ceilings(data));   // no oracle: the ceilings are left out, not run on nothing
        await Assert.ThrowsAsync<DirectoryNotFoundException>(() => JudgeCatalog.CreateAsync("/no/such/checkpoint", data, workbook));
    }
}
