using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace MjVideo.Tests;

/// <summary>The notebooks' `#r "nuget: ..."` pins must equal the project's package versions.</summary>
public class NotebookPinTests
{
    static readonly Regex NugetDirective = new(@"#r\s+""nuget:\s*(?<name>[^,""]+?)\s*,\s*(?<version>[^""]+?)\s*""");

    static Dictionary<string, string> ProjectVersions()
    {
        var props = XDocument.Load(Path.Combine(RepoPaths.Root, "Directory.Packages.props"));
        return props.Descendants("PackageVersion")
            .GroupBy(e => e.Attribute("Include")!.Value, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First().Attribute("Version")!.Value, StringComparer.OrdinalIgnoreCase);
    }

    public static IEnumerable<object[]> Notebooks() =>
        Directory.GetFiles(RepoPaths.Notebooks, "*.ipynb").Order().Select(f => new object[] { Path.GetFileName(f) });

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Every_nuget_pin_equals_the_project_version(string notebook)
    {
        var versions = ProjectVersions();
        var cells = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Notebooks, notebook)))!["cells"]!.AsArray();
        var pins = cells.SelectMany(c => c!["source"]!.AsArray().Select(l => l!.GetValue<string>()))
            .Select(l => NugetDirective.Match(l)).Where(m => m.Success).ToList();
        Assert.NotEmpty(pins);
        foreach (var pin in pins)
        {
            var name = pin.Groups["name"].Value;
            Assert.True(versions.TryGetValue(name, out var expected), $"{notebook}: package {name} is not in Directory.Packages.props");
            Assert.True(expected == pin.Groups["version"].Value,
                $"{notebook}: {name} pinned at {pin.Groups["version"].Value}, the project uses {expected}");
        }
    }

    [Fact]
    public void The_pin_pattern_reads_a_directive()
    {
        var m = NugetDirective.Match("#r \"nuget: TorchSharp, 0.107.0\"");
        Assert.Equal("TorchSharp", m.Groups["name"].Value);
        Assert.Equal("0.107.0", m.Groups["version"].Value);
    }
}
