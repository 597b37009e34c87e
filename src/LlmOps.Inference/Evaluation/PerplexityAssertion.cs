using LLama;
using LLama.Common;
using LLama.Native;
using LlmOps.Evaluation;
using LlmOps.Evaluation.Assertions;
using LlmOps.Inference.LlamaCpp;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace LlmOps.Inference.Evaluation;

/// <summary>Perplexity of a text after a prompt under a GGUF model, from llama.cpp's log-probabilities:
/// exp(−mean log p(token | everything before it)) over the text's tokens.</summary>
public sealed class PerplexityScorer(LlamaModelCache cache)
{
    public async Task<double> ComputeAsync(string modelPath, string sha256, string prompt, string text, CancellationToken cancellationToken = default) =>
        await ComputeAsync(modelPath, sha256, null, prompt, text, cancellationToken);

    /// <summary>The perplexity with a LoRA adapter applied over the model, as the gateway serves a lora version.</summary>
    public async Task<double> ComputeAsync(string modelPath, string sha256, LoraFile? lora, string prompt, string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        using var lease = await cache.AcquireAsync(modelPath, sha256, cancellationToken);
        var model = lease.Model;
        await model.Slots.WaitAsync(cancellationToken);
        try
        {
            var formatted = ChatPrompt.Format(model.Weights, [new ChatMessage(ChatRole.User, prompt)], null);
            var parameters = new ModelParams(modelPath)
            {
                ContextSize = model.ContextSize, BatchSize = model.ContextSize, UBatchSize = model.ContextSize, Threads = cache.Options.Threads, GpuLayerCount = 0,
            };
            using var context = model.Weights.CreateContext(parameters);
            if (lora is not null) context.NativeHandle.SetLoraAdapters([(model.Adapter(lora), lora.Scale)]);
            var promptTokens = context.Tokenize(formatted, addBos: true, special: true);
            var textTokens = context.Tokenize(text, addBos: false, special: false);
            if (textTokens.Length == 0) throw new InvalidOperationException("the output has no tokens to score.");
            if (promptTokens.Length + textTokens.Length > context.ContextSize)
                throw new InvalidOperationException($"prompt and output are {promptTokens.Length + textTokens.Length} tokens; the context holds {context.ContextSize}.");
            var batch = new LLamaBatch();
            var all = promptTokens.Concat(textTokens).ToArray();
            // Logits are needed where the next token is a text token: from the prompt's last position to the one before the text's last.
            for (var i = 0; i < all.Length; i++) batch.Add(all[i], i, LLamaSeqId.Zero, logits: i >= promptTokens.Length - 1 && i < all.Length - 1);
            var result = await context.DecodeAsync(batch, cancellationToken);
            if (result != DecodeResult.Ok) throw new InferenceException($"llama.cpp decode failed: {result}.", isTransient: false);
            var sum = 0.0;
            for (var t = 0; t < textTokens.Length; t++)
            {
                var logits = context.NativeHandle.GetLogitsIth(promptTokens.Length - 1 + t);
                sum += LogSoftmax(logits, (int)textTokens[t]);
            }
            return Math.Exp(-sum / textTokens.Length);
        }
        finally
        {
            model.Slots.Release();
        }
    }

    /// <summary>log softmax(logits)[index], computed stably.</summary>
    public static double LogSoftmax(ReadOnlySpan<float> logits, int index)
    {
        var max = double.NegativeInfinity;
        foreach (var l in logits) max = Math.Max(max, l);
        var sum = 0.0;
        foreach (var l in logits) sum += Math.Exp(l - max);
        return logits[index] - max - Math.Log(sum);
    }
}

/// <summary><c>perplexity</c>: the model under evaluation's perplexity of its own output; passes at or below the threshold
/// (the most perplexity allowed). The score is 1/perplexity, so lower perplexity scores higher. Needs a llama.cpp provider.</summary>
public sealed class PerplexityAssertion(AssertionSpec spec, PerplexityScorer scorer, Func<IChatClient, EvalModelFiles?> modelOf) : AssertionEvaluator(spec)
{
    protected override async ValueTask<AssertionOutcome> ScoreAsync(string output, ChatResponse response, EvalCaseContext context,
        ChatConfiguration? chatConfiguration, CancellationToken cancellationToken)
    {
        var model = (context.Target is null ? null : modelOf(context.Target))
            ?? throw new InvalidOperationException("perplexity needs a GGUF provider (llama.cpp reports log-probabilities; remote providers do not).");
        var perplexity = await scorer.ComputeAsync(model.Path, model.Sha256, model.Lora, context.Prompt, output, cancellationToken);
        var max = Spec.Threshold ?? double.PositiveInfinity;
        return new AssertionOutcome(perplexity <= max, 1 / perplexity, $"perplexity {AssertionTypes.Num(perplexity)}" + (Spec.Threshold is null ? "" : $" (max {AssertionTypes.Num(max)})"));
    }
}

/// <summary>Adds the assertion types that need the runtime: <c>similar</c> (MiniLM embeddings) and <c>perplexity</c> (llama.cpp).</summary>
public static class RuntimeAssertions
{
    public static AssertionTypes AddRuntimeAssertions(this AssertionTypes types, SentenceEmbeddings embeddings, PerplexityScorer scorer, EvalTargetResolver resolver)
    {
        ArgumentNullException.ThrowIfNull(types);
        ArgumentNullException.ThrowIfNull(resolver);
        types.Add("similar", (spec, vars) =>
        {
            if (spec.Threshold is < -1 or > 1) throw new InvalidInputException("threshold", "a cosine similarity threshold is between -1 and 1.");
            IReadOnlyList<string> expected = spec.Value is System.Text.Json.Nodes.JsonArray ? AssertionValues.RequireList(spec, vars) : [AssertionValues.RequireString(spec, vars)];
            return new SimilarAssertion(spec, expected, embeddings);
        });
        types.Add("perplexity", (spec, _) =>
        {
            if (spec.Threshold is <= 1) throw new InvalidInputException("threshold", "perplexity is at least 1; the threshold is the most allowed.");
            return new PerplexityAssertion(spec, scorer, resolver.ModelFileOf);
        });
        return types;
    }
}
