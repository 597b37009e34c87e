using System.Globalization;
using LlmOps.Training.Modeling;
using static TorchSharp.torch;

namespace LlmOps.Training.Gguf;

/// <summary>
/// Writes a model's LoRA adapters alone as a llama.cpp LoRA adapter GGUF, as llama.cpp's convert_lora_to_gguf.py does:
/// general.type "adapter", adapter.type "lora", adapter.lora.alpha, and per adapted weight "{gguf name}.lora_a" (A, rank × in,
/// GGML dims {in, rank}) and "{gguf name}.lora_b" (B, out × rank, GGML dims {rank, out}). llama.cpp applies it at load time
/// over the base GGUF as W x + (alpha / rank) · B (A x), rank being lora_b's first GGML dimension.
/// </summary>
public static class GgufLoraExporter
{
    /// <summary>The adapter file's name in a model version.</summary>
    public const string FileName = "adapter.gguf";

    /// <summary>Exports the adapters of <paramref name="model"/> to <paramref name="path"/>, written atomically.</summary>
    /// <remarks>
    /// <see cref="GgufExportOptions.FileType"/> F32 keeps the adapter in F32; F16 and Q8_0 store it in F16 (Q8_0 blocks run
    /// along rows of 32, and lora_b's rows are rank long; adapters are small enough that F16 costs nothing worth saving).
    /// </remarks>
    public static async Task ExportAsync(LlamaForCausalLM model, string path, GgufExportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new GgufExportOptions();
        var config = model.Config;
        var adapters = model.named_modules()
            .Where(m => m.module is LoraLinear { LoraA: not null, LoraB: not null })
            .Select(m => (HfName: m.name + ".weight", Linear: (LoraLinear)m.module))
            .ToList();
        if (adapters.Count == 0)
            throw new InvalidOperationException("The model has no LoRA adapter to export.");

        // One alpha for the file: llama.cpp scales every pair by alpha / rank with that alpha.
        var alpha = adapters[0].Linear.LoraScale * adapters[0].Linear.LoraA!.shape[0];
        foreach (var (name, linear) in adapters)
        {
            var own = linear.LoraScale * linear.LoraA!.shape[0];
            if (Math.Abs(own - alpha) > 1e-6 * Math.Max(1, Math.Abs(alpha)))
                throw new InvalidOperationException(string.Format(CultureInfo.InvariantCulture, "Adapter '{0}' has alpha {1}, the others {2}; a GGUF adapter holds one alpha.", name, own, alpha));
        }

        var type = options.FileType == GgufFileType.F32 ? GgmlType.F32 : GgmlType.F16;
        var writer = new GgufWriter()
            .Add("general.architecture", config.Architecture)
            .Add("general.type", "adapter")
            .Add("general.name", options.ModelName)
            .Add("general.file_type", (uint)(type == GgmlType.F32 ? GgufFileType.F32 : GgufFileType.F16))
            .Add("adapter.type", "lora")
            .Add("adapter.lora.alpha", (float)alpha);
        using (no_grad())
        {
            foreach (var (hfName, linear) in adapters)
            {
                var ggufName = GgufTensorNames.ToGguf(hfName);
                using var a = linear.LoraA!.detach().contiguous();
                // The base weight's rows are permuted for llama.cpp's interleaved RoPE (Q, K of the llama architecture):
                // P(W + s·B·A) = P·W + s·(P·B)·A, so B's rows take the same permutation and A stays as it is.
                using var detachedB = linear.LoraB!.detach();
                using var b = GgufModelExporter.ToGgufLayout(config, hfName, detachedB);
                AddTensor(writer, ggufName + ".lora_a", a, type);
                AddTensor(writer, ggufName + ".lora_b", b, type);
            }
        }
        await writer.WriteAsync(path, cancellationToken).ConfigureAwait(false);
    }

    private static void AddTensor(GgufWriter writer, string name, Tensor tensor, GgmlType type)
    {
        using var f32 = tensor.to(ScalarType.Float32).contiguous();
        var values = f32.data<float>().ToArray();
        // GGML lists dimensions fastest-first: a [rows, columns] matrix is {columns, rows}.
        writer.AddTensor(name, [.. tensor.shape.Reverse()], type, GgufWriter.Encode(values, type));
    }
}
