using System.Runtime.InteropServices;
using MjVideo.Core;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;

namespace MjVideo.Cli.Commands;

public sealed class InfoCommand : Command
{
    public override int Execute(CommandContext context, CancellationToken cancellation)
    {
        var table = new Table().AddColumn("what").AddColumn("value");
        table.AddRow("OS", Markup.Escape(RuntimeInformation.OSDescription));
        table.AddRow(".NET", Markup.Escape(RuntimeInformation.FrameworkDescription));
        table.AddRow("cores", Environment.ProcessorCount.ToString());
        table.AddRow("TorchSharp", typeof(torch).Assembly.GetName().Version?.ToString() ?? "?");
        table.AddRow("libtorch", Markup.Escape(LibTorchPackage.Reference + " (the build's choice: OS and -p:MjVideoTorch)"));
        table.AddRow("device", Markup.Escape(ComputeDevice.Describe()));
        table.AddRow("ffmpeg", Markup.Escape(Tools.Find("ffmpeg") ?? "not found (apt-get install -y ffmpeg)"));
        table.AddRow("chromium", Markup.Escape(MjVideo.Reports.FigureWriter.ChromiumPath
            ?? "not found: figures are written as HTML only (apt-get install -y chromium, or set CHROMIUM_PATH)"));
        table.AddRow("workbook root", Markup.Escape(Workbook.Open().Root));
        AnsiConsole.Write(table);
        return 0;
    }
}
