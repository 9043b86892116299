using System.Diagnostics;
using System.Reflection;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.PackageManagement;
using DocKernelInfo = Microsoft.DotNet.Interactive.Documents.KernelInfo;

// Usage: NbRunner <input.ipynb> <output.ipynb> [--keep-going]
// Runs every code cell in order in one C# kernel, with the notebook's folder as working directory (so that relative
// `#r "../bin/..."` lines resolve as they do in VS Code). Stops at the first failing cell unless --keep-going, writes the
// executed notebook (outputs included) to <output.ipynb> either way, and exits 1 naming the failing cell.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: NbRunner <input.ipynb> <output.ipynb> [--keep-going]");
    return 64;
}
var input = Path.GetFullPath(args[0]);
var output = Path.GetFullPath(args[1]);
var keepGoing = args.Contains("--keep-going");
var notebookName = Path.GetFileName(input);

var kernelInfos = new KernelInfoCollection { new DocKernelInfo("csharp", "C#", new[] { "c#", "C#" }) };
kernelInfos.DefaultKernelName = "csharp";
var document = Notebook.Parse(await File.ReadAllTextAsync(input), kernelInfos);
Directory.SetCurrentDirectory(Path.GetDirectoryName(input)!);

using var kernel = KernelHost.Create();
var failures = 0;
var codeCells = document.Elements.Where(e => e.KernelName is not ("markdown" or "md")).ToList();
var total = Stopwatch.StartNew();
for (var i = 0; i < codeCells.Count; i++)
{
    var cell = codeCells[i];
    var cellNumber = document.Elements.IndexOf(cell) + 1;
    cell.Outputs.Clear();
    var clock = Stopwatch.StartNew();
    var result = await kernel.SendAsync(new SubmitCode(cell.Contents, cell.KernelName ?? "csharp"));
    var failed = OutputMapper.Collect(result.Events, cell.Outputs, out var error);
    cell.ExecutionOrder = i + 1;
    // The process's peak resident memory so far: a cell that raises it is the one to look at when a notebook is over its memory target.
    Console.WriteLine($"  [{notebookName}] cell {cellNumber,3}  {clock.Elapsed.TotalSeconds,6:F1}s  {(failed ? "FAILED" : "ok")}  peak {PeakRss.Bytes() / (1024.0 * 1024 * 1024):F2} GiB");
    if (!failed) continue;
    failures++;
    Console.Error.WriteLine($"notebook {notebookName}: cell {cellNumber} failed: {error}");
    Console.Error.WriteLine($"--- cell {cellNumber} source ---\n{cell.Contents}\n---");
    if (!keepGoing) break;
}
Directory.CreateDirectory(Path.GetDirectoryName(output)!);
var temporary = output + ".tmp";
await using (var stream = File.Create(temporary)) Notebook.Write(document, stream, kernelInfos);
File.Move(temporary, output, overwrite: true);
Console.WriteLine($"  [{notebookName}] {codeCells.Count} code cells, {failures} failed, {total.Elapsed.TotalSeconds:F1}s");
// Peak resident memory for the parent (`mjvideo notebooks`), which reports it beside the wall time.
Console.WriteLine($"##mjvideo-peak-rss-bytes={PeakRss.Bytes()}");
return failures == 0 ? 0 : 1;

static class KernelHost
{
    public static CompositeKernel Create()
    {
        CompositeKernel composite = null!;
        var csharp = new CSharpKernel()
            .UseNugetDirective(async (kernel, references) =>
            {
                kernel.AddAssemblyReferences(references.SelectMany(r => r.AssemblyPaths));
                // Formatter extensions (Plotly.NET.Interactive, Microsoft.Data.Analysis.Interactive) live in the packages'
                // interactive-extensions folder; the public packages do not load them, so do it here.
                foreach (var reference in references)
                    await LoadExtensionsAsync(reference.PackageRoot, composite);
            }, forceRestore: false)
            .UseKernelHelpers()
            .UseValueSharing();
        composite = new CompositeKernel { csharp };
        composite.DefaultKernelName = "csharp";
        // `#!import file.dib`, as in the VS Code and Jupyter kernels: every notebook imports notebooks/setup.dib.
        composite.UseImportMagicCommand();
        return composite;
    }

    static async Task LoadExtensionsAsync(string packageRoot, Kernel kernel)
    {
        var folder = Path.Combine(packageRoot, "interactive-extensions", "dotnet");
        if (!Directory.Exists(folder)) return;
        foreach (var dll in Directory.GetFiles(folder, "*.dll"))
            foreach (var type in Assembly.LoadFrom(dll).GetExportedTypes()
                         .Where(t => typeof(IKernelExtension).IsAssignableFrom(t) && !t.IsAbstract))
                await ((IKernelExtension)Activator.CreateInstance(type)!).OnLoadAsync(kernel);
    }
}

static class OutputMapper
{
    /// <summary>Turns a cell's kernel events into notebook outputs; returns true when the cell failed.</summary>
    public static bool Collect(IEnumerable<KernelEvent> events, IList<InteractiveDocumentOutputElement> outputs, out string error)
    {
        error = "";
        var displaysById = new Dictionary<string, int>();
        foreach (var e in events)
        {
            switch (e)
            {
                case StandardOutputValueProduced s:
                    outputs.Add(new TextElement(Text(s), "stdout"));
                    break;
                case StandardErrorValueProduced s:
                    outputs.Add(new TextElement(Text(s), "stderr"));
                    break;
                case ReturnValueProduced r:
                    var value = new ReturnValueElement();
                    foreach (var (mime, text) in Formatted(r)) value.Data[mime] = text;
                    outputs.Add(value);
                    break;
                case DisplayedValueUpdated u when u.ValueId is { } id && displaysById.TryGetValue(id, out var at):
                    outputs[at] = new DisplayElement(Formatted(u));   // progress displays update in place
                    break;
                case DisplayEvent d:
                    if (d.ValueId is { } valueId) displaysById[valueId] = outputs.Count;
                    outputs.Add(new DisplayElement(Formatted(d)));
                    break;
                case CommandFailed f:
                    error = f.Exception?.ToString() ?? f.Message;
                    outputs.Add(new ErrorElement(f.Message, f.Exception?.GetType().Name ?? "Error",
                        (f.Exception?.StackTrace ?? "").Split('\n')));
                    return true;
            }
        }
        return false;
    }

    static string Text(DisplayEvent e) => e.FormattedValues.FirstOrDefault()?.Value ?? e.Value?.ToString() ?? "";

    static Dictionary<string, object> Formatted(DisplayEvent e) =>
        e.FormattedValues.ToDictionary(v => v.MimeType, v => (object)v.Value);
}

static class PeakRss
{
    /// <summary>VmHWM from /proc (Linux); elsewhere the runtime's peak working set.</summary>
    public static long Bytes()
    {
        const string status = "/proc/self/status";
        if (File.Exists(status))
            foreach (var line in File.ReadLines(status))
                if (line.StartsWith("VmHWM:"))
                    // "VmHWM:\t  123456 kB"; from 10^7 kB on no space follows the tab (the same parse as PeakMemory in lib/).
                    return long.Parse(line["VmHWM:".Length..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[0]) * 1024;
        return Process.GetCurrentProcess().PeakWorkingSet64;
    }
}
