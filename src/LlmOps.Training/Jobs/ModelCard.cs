using System.Globalization;
using System.Text;
using LlmOps.Datasets;
using LlmOps.Training.Modeling;
using LlmOps.Training.Trainers;

namespace LlmOps.Training.Jobs;

/// <summary>Writes the Markdown model card of a trained version: what it is, what it was made from, how, and how well it did.</summary>
internal static class ModelCard
{
    public static string Write(
        TrainingConfig config,
        LlamaConfig shape,
        StartingPoint start,
        Registry.ModelVersion? baseVersion,
        IReadOnlyList<DatasetVersion> datasets,
        TrainingResult result,
        string runId,
        long trainable,
        long total,
        IReadOnlyList<string> adapted,
        long trainWindows)
    {
        var c = CultureInfo.InvariantCulture;
        var card = new StringBuilder();
        card.Append(c, $"# {config.RegisterAs}\n\n");
        var from = start.BaseFolder is { } folder ? $"the Hugging Face model in `{folder}`" : start.Base?.Reference;
        var adapterOnly = config.Mode == TrainingMode.Lora && !config.MergeLora;
        var how = config.Mode switch
        {
            TrainingMode.Pretrain => "pretrained from scratch",
            TrainingMode.FullFineTune => $"fully fine-tuned from {from}",
            _ when adapterOnly => $"fine-tuned with LoRA from {from}, served as a llama.cpp LoRA adapter over {baseVersion?.Reference}",
            _ => $"fine-tuned with LoRA from {from} (adapters merged into the weights)",
        };
        card.Append(c, $"A Llama-architecture language model {how} by LlmOps, run `{runId}`.\n\n");
        card.Append("## Model\n\n");
        card.Append(c, $"- Architecture: {shape.Architecture}, {shape.NumLayers} layers, hidden size {shape.HiddenSize}, {shape.NumHeads} heads ({shape.NumKvHeads} key/value), MLP {shape.IntermediateSize}\n");
        card.Append(c, $"- Context length: {shape.ContextLength}; vocabulary: {shape.VocabSize} tokens (byte-level BPE");
        card.Append(start.TokenizerRunId is { } tokenizerRun ? c.Invariant($", tokenizer run `{tokenizerRun}`)\n")
            : start.BaseFolder is not null ? ", the folder's tokenizer.json)\n" : ")\n");
        card.Append(c, $"- Parameters: {total:N0} ({trainable:N0} trained)\n");
        card.Append(adapterOnly
            ? c.Invariant($"- File: llama.cpp LoRA adapter GGUF ({(config.ExportDtype == Gguf.GgufFileType.F32 ? "f32" : "f16")}), applied at load time over {baseVersion?.Reference}; the merged model is the run's model.gguf artifact\n\n")
            : c.Invariant($"- File: GGUF, {config.ExportDtype.ToString().ToLowerInvariant()} weights\n\n"));
        card.Append("## Training data\n\n");
        for (var i = 0; i < datasets.Count; i++)
        {
            var d = datasets[i];
            card.Append(c, $"- `{d.Name}` version `{d.Id}` as {TrainingConfig.Name(config.Datasets[i].Type)}: ");
            card.Append(string.Join(", ", d.Splits.Select(s => c.Invariant($"{s.Name} {s.Records:N0} records"))));
            card.Append('\n');
        }
        card.Append(config.Mode == TrainingMode.Pretrain || config.Datasets.All(d => d.Type == DatasetType.Completion)
            ? "\nThe loss counts every token.\n\n"
            : "\nThe loss counts completion and assistant tokens only (prompts and user turns are masked).\n\n");
        card.Append("## Training procedure\n\n");
        card.Append(c, $"- Steps: {result.Steps} of {config.MicroBatchSize} x {config.GradientAccumulationSteps} windows of {config.SequenceLen} tokens ({trainWindows:N0} training windows)\n");
        card.Append(c, $"- AdamW, learning rate {config.LearningRate:G4}, {config.LrScheduler} schedule after {config.WarmupSteps} warm-up steps, weight decay {config.WeightDecay:G4}, gradient clip {config.MaxGradNorm:G4}, seed {config.Seed}\n");
        if (config.Mode == TrainingMode.Lora)
            card.Append(c, $"- LoRA r={config.LoraR}, alpha={config.LoraAlpha:G4}, dropout={config.LoraDropout:G4} on {adapted.Count} modules ({string.Join(", ", config.LoraTargetModules)})\n");
        card.Append(c, $"- Throughput: {result.TokensPerSecond:N0} tokens/s on CPU (TorchSharp)\n\n");
        card.Append("## Results\n\n");
        card.Append(c, $"- Final training loss: {result.FinalLoss:F4}\n");
        card.Append(result.ValidationLoss is { } vl
            ? c.Invariant($"- Validation loss: {vl:F4}; perplexity: {Math.Exp(vl):F2}\n\n")
            : "- No validation split: no validation loss.\n\n");
        card.Append("## Limitations\n\n");
        card.Append("Measured only by the losses above; evaluate it with an eval suite before deploying, and review it before approval.\n");
        return card.ToString();
    }

    private static string Invariant(this CultureInfo culture, FormattableString text) => text.ToString(culture);
}
