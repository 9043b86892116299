using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using MjVideo.Core;

namespace MjVideo.Tests;

/// <summary>
/// Every notebook loads its packages, the library and libtorch through one shared file, notebooks/setup.dib, whose pins
/// equal the project's package versions; the libtorch package comes from the library's build (OS and -p:MjVideoTorch).
/// </summary>
public class NotebookPinTests
{
    static readonly Regex NugetDirective = new(@"#r\s+""nuget:\s*(?<name>[^,""]+?)\s*,\s*(?<version>[^""]+?)\s*""");
    static readonly Regex AnyReference = new(@"^\s*#r\s", RegexOptions.Multiline);
    static string SetupPath => Path.Combine(RepoPaths.Notebooks, "setup.dib");

    static Dictionary<string, string> ProjectVersions()
    {
        var props = XDocument.Load(Path.Combine(RepoPaths.Root, "Directory.Packages.props"));
        return props.Descendants("PackageVersion")
            .GroupBy(e => e.Attribute("Include")!.Value, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First().Attribute("Version")!.Value, StringComparer.OrdinalIgnoreCase);
    }

    public static IEnumerable<object[]> Notebooks() =>
        Directory.GetFiles(RepoPaths.Notebooks, "*.ipynb").Order().Select(f => new object[] { Path.GetFileName(f) });

    static List<string> CodeCells(string notebook) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Notebooks, notebook)))!["cells"]!.AsArray()
            .Where(c => c!["cell_type"]!.GetValue<string>() == "code")
            .Select(c => string.Concat(c!["source"]!.AsArray().Select(l => l!.GetValue<string>()))).ToList();

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Every_notebook_starts_by_importing_the_shared_setup(string notebook)
    {
        var cells = CodeCells(notebook);
        Assert.NotEmpty(cells);
        var lines = cells[0].Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("//")).ToList();
        Assert.Equal(["#!import setup.dib", "WorkbookReady()"], lines);
        // The setup lives in one place only: no notebook references packages or assemblies, or hooks FSharp.Core, itself.
        foreach (var (cell, i) in cells.Select((c, i) => (c, i)))
        {
            Assert.False(AnyReference.IsMatch(cell), $"{notebook}: code cell {i + 1} has its own #r; put it in notebooks/setup.dib");
            Assert.DoesNotContain("AssemblyLoadContext.Default.Resolving", cell);
        }
    }

    [Fact]
    public void The_setup_pins_equal_the_project_versions_and_cover_the_library()
    {
        var versions = ProjectVersions();
        var setup = File.ReadAllText(SetupPath);
        var pins = NugetDirective.Matches(setup).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["version"].Value);
        Assert.NotEmpty(pins);
        foreach (var (name, version) in pins)
        {
            Assert.True(versions.TryGetValue(name, out var expected), $"setup.dib: package {name} is not in Directory.Packages.props");
            Assert.True(expected == version, $"setup.dib: {name} pinned at {version}, the project uses {expected}");
        }
        Assert.DoesNotContain(pins.Keys, n => n.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase));
        // Every package the library references reaches the notebooks, except libtorch (chosen by the build, loaded in
        // step 4), FSharp.Core (every kernel has one; step 1 redirects to it) and the ResNet-18 package (read as a file).
        var library = XDocument.Load(Path.Combine(RepoPaths.Root, "MjVideo.Lib.csproj"));
        var libraryPackages = library.Descendants("PackageReference").Select(e => e.Attribute("Include")!.Value)
            .Where(n => !n.StartsWith("$(") && n is not ("FSharp.Core" or "Microsoft.ML.DnnImageFeaturizer.ResNet18"));
        foreach (var package in libraryPackages)
            Assert.True(pins.ContainsKey(package), $"setup.dib does not load {package}, which MjVideo.Lib references");
        Assert.Contains("#r \"../bin/Release/net10.0/MjVideo.Lib.dll\"", setup);
    }

    [Fact]
    public void The_setup_checks_every_step_it_records()
    {
        var setup = File.ReadAllText(SetupPath);
        var recorded = Regex.Matches(setup, @"setupSteps\.Add\(""(?<step>[^""]+)""\)").Select(m => m.Groups["step"].Value).ToList();
        var checkedSteps = Regex.Match(setup, @"new\[\] \{ (?<list>[^}]+) \}\.Except\(setupSteps\)").Groups["list"].Value
            .Split(',').Select(s => s.Trim().Trim('"')).ToList();
        Assert.Equal(5, recorded.Count);
        Assert.Equal(recorded, checkedSteps);
    }

    [Fact]
    public void The_built_library_names_a_pinned_libtorch_for_this_os()
    {
        var versions = ProjectVersions();
        var os = OperatingSystem.IsWindows() ? "win-x64" : "linux-x64";
        Assert.EndsWith(os, LibTorchPackage.Id);
        Assert.True(versions.TryGetValue(LibTorchPackage.Id, out var expected), $"{LibTorchPackage.Id} is not in Directory.Packages.props");
        Assert.Equal(expected, LibTorchPackage.Version);
        Assert.Equal(versions["libtorch-cpu-linux-x64"], versions["libtorch-cpu-win-x64"]);
    }

    [Theory]
    [InlineData("cpu", "libtorch-cpu-")]
    [InlineData("cuda", "libtorch-cuda-12.8-")]
    public void The_build_switch_selects_the_libtorch_package(string torch, string prefix)
    {
        var os = OperatingSystem.IsWindows() ? "win-x64" : "linux-x64";
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoPaths.Root };
        foreach (var a in new[] { "msbuild", "MjVideo.Lib.csproj", "-nologo", "-getProperty:MjVideoLibTorchPackage", $"-p:MjVideoTorch={torch}" })
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        Assert.Equal(prefix + os, output);
        Assert.Contains(output, ProjectVersions().Keys);   // a CUDA build restores a pinned package too
    }

    [Fact]
    public void The_pin_pattern_reads_a_directive()
    {
        var m = NugetDirective.Match("#r \"nuget: TorchSharp, 0.107.0\"");
        Assert.Equal("TorchSharp", m.Groups["name"].Value);
        Assert.Equal("0.107.0", m.Groups["version"].Value);
    }
}
