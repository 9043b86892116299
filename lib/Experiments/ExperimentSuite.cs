using MjVideo.Core;

namespace MjVideo.Experiments;

/// <summary>
/// Everything notebooks 03 and 04 and <c>mjvideo ablate</c> work with, opened in one call: the mode's settings, the default
/// SynthBench sets (generated when missing), the frozen-backbone cache, the results ledger and the runners. Each runner
/// skips what results/ already holds, so opening the suite and running again resumes.
/// </summary>
public sealed class ExperimentSuite : IDisposable
{
    ExperimentSuite(Workbook workbook, ExperimentSettings settings, ExperimentData data)
    {
        Workbook = workbook;
        Settings = settings;
        Data = data;
        Ledger = new ExperimentLedger(workbook.ResultsDir);
        Backbones = new ExperimentBackbones(workbook, settings, data);
        Heads = new HeadRunner(workbook, settings, data, Backbones, Ledger);
        References = new ReferenceJudges(workbook, settings, data, Ledger);
        Main = new MainComparison(workbook, settings, data, Heads, References);
        EndToEnd = new EndToEnd(workbook, settings, data, Backbones, Ledger);
        Fusion = new FusionRecipe(workbook, settings, data, Backbones, Ledger);
        Ablations = new AblationGrid(settings, data, Heads, EndToEnd);
    }

    public Workbook Workbook { get; }
    public ExperimentSettings Settings { get; }
    public ExperimentData Data { get; }
    public ExperimentLedger Ledger { get; }
    public ExperimentBackbones Backbones { get; }
    public HeadRunner Heads { get; }
    public ReferenceJudges References { get; }
    public MainComparison Main { get; }
    public EndToEnd EndToEnd { get; }
    public FusionRecipe Fusion { get; }
    public AblationGrid Ablations { get; }

    /// <param name="settings">the mode's preset by default (<see cref="ExperimentSettings.For(Workbook)"/>)</param>
    public static async Task<ExperimentSuite> OpenAsync(Workbook workbook, ExperimentSettings? settings = null, IProgress<string>? progress = null,
        CancellationToken cancellation = default)
    {
        settings ??= ExperimentSettings.For(workbook);
        if (settings.Mode != workbook.Mode)
            throw new ArgumentException($"the settings are for {settings.Mode} mode, the workbook runs in {workbook.Mode} mode");
        var data = await ExperimentData.LoadAsync(workbook, settings.Families, progress, cancellation).ConfigureAwait(false);
        return new ExperimentSuite(workbook, settings, data);
    }

    public void Dispose()
    {
        Heads.Dispose();
        Backbones.Dispose();
    }
}
