using System.Globalization;
using LlmOps.Inference.LlamaCpp;
using LlmOps.Tests.Inference;

namespace LlmOps.Benchmarks.Serving;

/// <summary>A Llama GGUF with random F32 weights of a given width and depth in its own temp folder (decode speed does
/// not depend on what the weights say), written by the tests' <see cref="TinyGguf"/>; the folder goes on dispose.</summary>
internal sealed class BenchModel : IDisposable
{
    BenchModel(string folder, string path, string sha256, int hidden, int layers, uint contextLength)
    {
        Folder = folder;
        Path = path;
        Sha256 = sha256;
        Hidden = hidden;
        Layers = layers;
        ContextLength = contextLength;
    }

    public string Folder { get; }
    public string Path { get; }
    public string Sha256 { get; }
    public int Hidden { get; }
    public int Layers { get; }
    public uint ContextLength { get; }

    /// <summary>Writes the model: heads of 64, as many KV heads as heads, feed-forward 4 × hidden.</summary>
    public static async Task<BenchModel> WriteAsync(int hidden, int layers, uint contextLength, int seed = 1)
    {
        var folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "llmops-serving-bench-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(folder);
        var path = System.IO.Path.Combine(folder, $"model-{hidden}x{layers}.gguf");
        await TinyGguf.WriteAsync(path, seed, contextLength, hidden, layers, heads: hidden / 64, kvHeads: hidden / 64, intermediate: hidden * 4);
        return new BenchModel(folder, path, await LlamaModelCache.HashFileAsync(path), hidden, layers, contextLength);
    }

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"hidden {Hidden}, layers {Layers}, context {ContextLength}, {new FileInfo(Path).Length / 1e6:0.0} MB F32");

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); }
        catch (IOException) { /* best effort: a temp folder */ }
    }
}
