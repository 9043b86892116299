using TorchSharp;

namespace MjVideo.Core;

/// <summary>Where tensors live: CUDA when a CUDA libtorch is loaded and a GPU is visible, else the CPU.</summary>
public static class ComputeDevice
{
    public static torch.Device Current { get; } = torch.cuda.is_available() ? torch.CUDA : torch.CPU;

    public static string Describe() =>
        $"{Current.type} (torch threads {torch.get_num_threads()}, cuda available {torch.cuda.is_available()})";
}
