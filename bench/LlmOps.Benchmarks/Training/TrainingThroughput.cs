using System.Diagnostics;
using System.Globalization;
using LlmOps.Training.Modeling;
using LlmOps.Training.Trainers;

namespace LlmOps.Benchmarks.Training;

/// <summary>
/// Training throughput (tokens/s) of the TorchSharp trainer on the reference shape (d=256, 4 layers, 4 heads,
/// vocab 512, seq 128, batch 16), side by side with the same model and loop in PyTorch (bench/peers).
/// </summary>
internal static class TrainingThroughput
{
    private const int WarmupSteps = 3;

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
        var steps = Option(args, "--steps") ?? 20;
        var runPeer = !args.Contains("--no-peer");
        const int SequenceLength = 128, Batch = 16;

        var ours = await MeasureOursAsync(steps, SequenceLength, Batch);
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
            "torchsharp: {0:F0} tokens/s over {1} steps (after {2} warm-up steps), threads={3}", ours, steps, WarmupSteps, TorchSharp.torch.get_num_threads()));
        if (!runPeer)
            return 0;
        var peer = RunPeer(steps, SequenceLength, Batch);
        if (peer is null)
        {
            Console.WriteLine("pytorch: not run (python3 with torch not found; on Debian: apt-get install python3-torch libopenblas0-pthread)");
            return 0;
        }
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "pytorch: {0:F0} tokens/s", peer));
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "ratio torchsharp/pytorch: {0:F2}", ours / peer));
        return 0;
    }

    private static async Task<double> MeasureOursAsync(int steps, int sequenceLength, int batch)
    {
        using var model = LlamaForCausalLM.Create(Shape, seed: 1);
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
        return (double)steps * batch * sequenceLength / stopwatch.Elapsed.TotalSeconds;
    }

    private static double? RunPeer(int steps, int sequenceLength, int batch)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "peers", "train_llama_torch.py");
        // Debian's python3-torch lives in the system interpreter, which a pyenv or venv "python3" on PATH may hide.
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var start = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { script, "--steps", steps.ToString(CultureInfo.InvariantCulture), "--warmup", WarmupSteps.ToString(CultureInfo.InvariantCulture), "--seq", sequenceLength.ToString(CultureInfo.InvariantCulture), "--batch", batch.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                return null;
            var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("tokens_per_s=", StringComparison.Ordinal));
            return line is null ? null : double.Parse(line["tokens_per_s=".Length..], CultureInfo.InvariantCulture);
        }
        catch (System.ComponentModel.Win32Exception)
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
