using System.Diagnostics;
using System.Globalization;
using LlmOps.Training.Modeling;
using LlmOps.Training.Trainers;
using static TorchSharp.torch;

namespace LlmOps.Benchmarks.Training;

/// <summary>
/// Training throughput (tokens/s) of the TorchSharp trainer on the reference shape (d=256, 4 layers, 4 heads,
/// vocab 512, seq 128, batch 16), side by side with the same model and loop in PyTorch (bench/peers); with each
/// side's model FLOPs utilisation against a measured large-GEMM peak and each process's peak resident memory.
/// </summary>
/// <remarks>
/// Model FLOPs per token follow PaLM's MFU (appendix B): 6·N for the forward and backward matrix products of the
/// N matmul weights (every linear projection and the LM head; the embedding table is a gather and is not
/// counted), plus 12·L·d·T for the attention scores and the weighted sum (the causal mask is not discounted).
/// </remarks>
internal static class TrainingThroughput
{
    private const int WarmupSteps = 3;
    private const int GemmSize = 2048;
    private const int GemmRepeats = 5;

    public static readonly LlamaConfig Shape = new()
    {
        VocabSize = 512,
        HiddenSize = 256,
        NumLayers = 4,
        NumHeads = 4,
        NumKvHeads = 4,
        IntermediateSize = 1024,
        ContextLength = 128,
    };

    public static async Task<int> RunAsync(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        var steps = Option(args, "--steps") ?? 20;
        var runPeer = !args.Contains("--no-peer");
        const int SequenceLength = 128, Batch = 16;
        Console.WriteLine(string.Create(inv, $"load average at start: {LoadAverage()}"));

        var (ours, matmulParameters) = await MeasureOursAsync(steps, SequenceLength, Batch);
        // Read before the GEMM peak: its three 2048² matrices (48 MB) are not part of training.
        var ourPeakRss = PeakRssMegabytes();
        var flopsPerToken = 6.0 * matmulParameters + 12.0 * Shape.NumLayers * Shape.HiddenSize * SequenceLength;
        var ourGemm = GemmPeakGflops();
        Console.WriteLine(string.Create(inv, $"model: {matmulParameters:N0} matmul parameters, {flopsPerToken / 1e6:F2} MFLOP per token (6N + 12·L·d·T)"));
        Console.WriteLine(string.Create(inv, $"gemm peak (torchsharp, {GemmSize}x{GemmSize} F32, best of {GemmRepeats}): {ourGemm:F1} GFLOP/s"));
        Console.WriteLine(string.Create(inv,
            $"torchsharp: {ours:F0} tokens/s over {steps} steps (after {WarmupSteps} warm-up steps), threads={get_num_threads()}, {ours * flopsPerToken / 1e9:F1} GFLOP/s, peak RSS {ourPeakRss:F0} MB"));
        if (!runPeer)
        {
            Console.WriteLine(string.Create(inv, $"torchsharp MFU: {ours * flopsPerToken / 1e9 / ourGemm:P1} of the measured GEMM peak"));
            Console.WriteLine(string.Create(inv, $"load average at end: {LoadAverage()}"));
            return 0;
        }
        var peer = RunPeer(steps, SequenceLength, Batch);
        if (peer is null)
        {
            Console.WriteLine("pytorch: not run (python3 with torch not found; on Debian: apt-get install python3-torch libopenblas0-pthread)");
            return 0;
        }
        // The machine's peak is the better of the two libraries' GEMMs (TorchSharp's libtorch and Debian's OpenBLAS).
        var peak = Math.Max(ourGemm, peer.GemmGflops);
        Console.WriteLine(string.Create(inv, $"gemm peak (pytorch {peer.Version}, same matmul): {peer.GemmGflops:F1} GFLOP/s; MFU below is against {peak:F1} GFLOP/s"));
        Console.WriteLine(string.Create(inv, $"pytorch: {peer.TokensPerSecond:F0} tokens/s, {peer.TokensPerSecond * flopsPerToken / 1e9:F1} GFLOP/s, peak RSS {peer.PeakRssMegabytes:F0} MB"));
        if (peer.MatmulParameters != matmulParameters)
            Console.WriteLine(string.Create(inv, $"warning: the peer counts {peer.MatmulParameters:N0} matmul parameters, we count {matmulParameters:N0}"));
        Console.WriteLine(string.Create(inv, $"MFU torchsharp {ours * flopsPerToken / 1e9 / peak:P1}, pytorch {peer.TokensPerSecond * flopsPerToken / 1e9 / peak:P1}"));
        Console.WriteLine(string.Create(inv, $"ratio torchsharp/pytorch: {ours / peer.TokensPerSecond:F2}"));
        Console.WriteLine(string.Create(inv, $"load average at end: {LoadAverage()}"));
        return 0;
    }

    private static async Task<(double TokensPerSecond, long MatmulParameters)> MeasureOursAsync(int steps, int sequenceLength, int batch)
    {
        using var model = LlamaForCausalLM.Create(Shape, seed: 1);
        var matmulParameters = model.named_parameters()
            .Where(p => p.parameter.dim() == 2 && !p.name.Contains("embed_tokens", StringComparison.Ordinal))
            .Sum(p => p.parameter.numel());
        var random = new Random(1);
        var documents = Enumerable.Range(0, 64).Select(_ => new TrainingExample([.. Enumerable.Range(0, 1024).Select(_ => random.Next(Shape.VocabSize))])).ToList();
        var data = new PackedTokenDataset(documents, sequenceLength);
        var options = new TrainerOptions
        {
            SequenceLength = sequenceLength,
            MicroBatchSize = batch,
            MaxSteps = steps + WarmupSteps,
            LearningRate = 3e-4,
            WarmupSteps = 2,
        };
        var stopwatch = new Stopwatch();
        await new CausalLmTrainer(model, options).TrainAsync(data, onMetrics: m =>
        {
            if (m.Step == WarmupSteps)
                stopwatch.Start();
        });
        stopwatch.Stop();
        return ((double)steps * batch * sequenceLength / stopwatch.Elapsed.TotalSeconds, matmulParameters);
    }

    /// <summary>Best of several 2048×2048 F32 matrix products after one untimed: 2·n³ floating-point operations each.</summary>
    private static double GemmPeakGflops()
    {
        using var noGrad = no_grad();
        using var a = randn(GemmSize, GemmSize);
        using var b = randn(GemmSize, GemmSize);
        a.mm(b).Dispose();
        var best = double.MaxValue;
        for (var i = 0; i < GemmRepeats; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            using var c = a.mm(b);
            best = Math.Min(best, stopwatch.Elapsed.TotalSeconds);
        }
        return 2.0 * GemmSize * GemmSize * GemmSize / best / 1e9;
    }

    /// <summary>VmHWM of this process (peak resident set) in MB.</summary>
    internal static double PeakRssMegabytes()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
    }

    private static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    private sealed record PeerResult(double TokensPerSecond, double GemmGflops, double PeakRssMegabytes, long MatmulParameters, string Version);

    private static PeerResult? RunPeer(int steps, int sequenceLength, int batch)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "peers", "train_llama_torch.py");
        // Debian's python3-torch lives in the system interpreter, which a pyenv or venv "python3" on PATH may hide.
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var start = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { script, "--steps", steps.ToString(CultureInfo.InvariantCulture), "--warmup", WarmupSteps.ToString(CultureInfo.InvariantCulture), "--seq", sequenceLength.ToString(CultureInfo.InvariantCulture), "--batch", batch.ToString(CultureInfo.InvariantCulture), "--gemm", GemmSize.ToString(CultureInfo.InvariantCulture), "--gemm-repeats", GemmRepeats.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                return null;
            var values = output.Split('\n').Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1].Trim(), StringComparer.Ordinal);
            double Number(string key) => double.Parse(values[key], CultureInfo.InvariantCulture);
            return new PeerResult(Number("tokens_per_s"), Number("gemm_gflops"), Number("peak_rss_mb"), (long)Number("matmul_params"), values.GetValueOrDefault("torch") ?? "?");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
        catch (KeyNotFoundException)
        {
            return null;
        }
    }

    private static int? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : null;
    }
}
