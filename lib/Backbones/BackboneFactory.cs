using System.Collections.Concurrent;
using MjVideo.Backbones.Precomputed;

namespace MjVideo.Backbones;

/// <summary>
/// What it takes to build a backbone, saved beside every checkpoint so that a trained judge can rebuild the same one.
/// Each backbone reads the fields it needs and ignores the others.
/// </summary>
public sealed record BackboneSpec
{
    /// <summary>The registered name: precomputed, tiny, pretrained.</summary>
    public required string Name { get; init; }

    /// <summary>The precomputed backbone's safetensors files.</summary>
    public IReadOnlyList<string> StatesFiles { get; init; } = [];

    /// <summary>H for backbones whose size is a choice (null: the backbone's default); the precomputed one checks it.</summary>
    public int? HiddenSize { get; init; }

    /// <summary>Seeds the initial weights of a trainable backbone.</summary>
    public long Seed { get; init; }

    /// <summary>Where clip and feature caches live (usually Workbook.CacheDir); null: <see cref="Core.Workbook.DefaultCacheDir"/>.
    /// Never saved: a checkpoint read on another machine or by another user finds its caches there.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? CacheDir { get; init; }

    /// <summary>Backbone-specific settings as text (frame count, input size, ...), printed with results.</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// Builds backbones by name, so that the trainer, the checkpoints and the command line never name a backbone class.
/// Adding a backbone is one line in the static constructor (or one <see cref="Register"/> call from anywhere):
/// <code>Register("tiny", "small video-text encoder trained from pixels", needsVideoFiles: true, spec => new TinyBackbone(spec));</code>
/// Registering an existing name replaces it.
/// </summary>
public static class BackboneFactory
{
    /// <summary>A registered backbone: what it is, whether it reads video files, and how to build it.</summary>
    public sealed record Registration(string Name, string Description, bool NeedsVideoFiles, Func<BackboneSpec, IBackbone>? Build)
    {
        /// <summary>False for a name reserved for a backbone this build does not contain yet.</summary>
        public bool Available => Build is not null;
    }

    static readonly ConcurrentDictionary<string, Registration> Registrations = new(StringComparer.OrdinalIgnoreCase);

    static BackboneFactory()
    {
        Register(PrecomputedBackbone.Name, "hidden states computed elsewhere (safetensors, one [2, H] entry per video id)",
            needsVideoFiles: false, PrecomputedBackbone.Create);
        Register("tiny", "small video-text encoder trained from pixels", needsVideoFiles: true, spec =>
            new Tiny.TinyVideoTextBackbone(new Tiny.TinyBackboneConfig(
                HiddenSize: spec.HiddenSize ?? 128, Seed: spec.Seed,
                MaxCaptionTokens: spec.Options.TryGetValue("max_caption_tokens", out var tokens) ? int.Parse(tokens) : 32,
                Modalities: spec.Options.TryGetValue("modalities", out var m) ? Enum.Parse<Tiny.TinyModalities>(m, ignoreCase: true) : Tiny.TinyModalities.VideoAndCaption)
            { Preprocessing = PreprocessingOf(spec) }, spec.CacheDir ?? Core.Workbook.DefaultCacheDir()));
        Register("pretrained", "frozen ResNet-18 + MiniLM encoders with a trainable fusion", needsVideoFiles: true, spec =>
            new Pretrained.PretrainedFusionBackbone(new Pretrained.PretrainedFusionConfig(HiddenSize: spec.HiddenSize ?? 128, Seed: spec.Seed)
            { Preprocessing = PreprocessingOf(spec) }, spec.CacheDir ?? Core.Workbook.DefaultCacheDir()));
    }

    /// <summary>The frame rule from a spec's options ("frames", "sampling"); the paper's 8-frame rule otherwise.</summary>
    public static MjVideo.Video.Preprocessing PreprocessingOf(BackboneSpec spec)
    {
        var p = MjVideo.Video.Preprocessing.Default;
        if (spec.Options.TryGetValue("frames", out var frames)) p = p with { Frames = int.Parse(frames) };
        if (spec.Options.TryGetValue("sampling", out var sampling)) p = p with { Sampling = Enum.Parse<MjVideo.Video.FrameSampling>(sampling, ignoreCase: true) };
        return p;
    }

    public static void Register(string name, string description, bool needsVideoFiles, Func<BackboneSpec, IBackbone>? build)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("a backbone needs a name");
        Registrations[name.Trim()] = new Registration(name.Trim(), description, needsVideoFiles, build);
    }

    /// <summary>The registered names, sorted.</summary>
    public static IReadOnlyList<string> Names => Registrations.Keys.Order(StringComparer.Ordinal).ToList();

    public static Registration Find(string name) =>
        Registrations.TryGetValue(name.Trim(), out var registration)
            ? registration
            : throw new ArgumentException($"unknown backbone '{name}'; known: {string.Join(", ", Names)}");

    /// <summary>The registration of a backbone this build can create; throws naming the available ones otherwise.</summary>
    public static Registration FindAvailable(string name)
    {
        var registration = Find(name);
        if (registration.Build is null)
            throw new NotSupportedException(
                $"backbone '{registration.Name}' ({registration.Description}) is not available in this build; available: " +
                string.Join(", ", Registrations.Values.Where(r => r.Available).Select(r => r.Name).Order(StringComparer.Ordinal)));
        return registration;
    }

    public static IBackbone Create(BackboneSpec spec) => FindAvailable(spec.Name).Build!(spec);
}
