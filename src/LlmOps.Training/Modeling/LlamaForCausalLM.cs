using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using LlmOps.Training.Runtime;
using static TorchSharp.torch;

namespace LlmOps.Training.Modeling;

/// <summary>Llama-architecture decoder with a language-model head; parameter names follow Hugging Face's LlamaForCausalLM.</summary>
public sealed class LlamaForCausalLM : nn.Module<Tensor, Tensor>
{
    /// <summary>Standard deviation of the normal initialisation of linear and embedding weights (Hugging Face's initializer_range).</summary>
    public const double InitStd = 0.02;

    private readonly RotaryEmbedding rotary;

    // TorchSharp also registers fields by reflection: fields carry the Hugging Face names, properties have none.
#pragma warning disable IDE1006, SA1300 // Naming: field names are the modules' names in checkpoints.
    private readonly LlamaBackbone model;
    private readonly LoraLinear? lm_head;
#pragma warning restore IDE1006, SA1300

    private LlamaForCausalLM(LlamaConfig config)
        : base(nameof(LlamaForCausalLM))
    {
        Config = config;
        rotary = new RotaryEmbedding(config.HeadDim, config.ContextLength, config.RopeTheta);
        model = new LlamaBackbone(config, rotary);
        register_module("model", model);
        if (!config.TieWordEmbeddings)
        {
            lm_head = new LoraLinear(config.HiddenSize, config.VocabSize, hasBias: false);
            register_module("lm_head", lm_head);
        }
    }

    public LlamaConfig Config { get; }

    /// <summary>The generator of every dropout in the model (LoRA); the trainer seeds it and saves it in checkpoints.</summary>
    public Generator DropoutGenerator { get; } = new Generator(0);

    /// <summary>The transformer without the head ("model." in Hugging Face names).</summary>
    public LlamaBackbone Backbone => model;

    /// <summary>The output projection, or null when it is tied to the token embedding.</summary>
    public LoraLinear? LmHead => lm_head;

    /// <summary>Builds a model with weights drawn from N(0, 0.02) by a generator seeded with <paramref name="seed"/>; norms are 1, biases 0.</summary>
    public static LlamaForCausalLM Create(LlamaConfig config, long seed)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        TorchRuntime.EnsureLoaded();
        var model = new LlamaForCausalLM(config);
        using var generator = new Generator(unchecked((ulong)seed));
        using (no_grad())
        {
            foreach (var (name, parameter) in model.named_parameters())
            {
                if (parameter.dim() == 2)
                    parameter.normal_(0, InitStd, generator);
                else if (name.EndsWith(".bias", StringComparison.Ordinal))
                    parameter.zero_();
                else
                    parameter.fill_(1);
            }
        }
        return model;
    }

    /// <summary>Logits [batch, seq, vocab] for token ids [batch, seq] (int64).</summary>
    public override Tensor forward(Tensor input)
    {
        using var hidden = Backbone.forward(input);
        return LmHead is null
            ? nn.functional.linear(hidden, Backbone.EmbedTokens.weight!)
            : LmHead.forward(hidden);
    }

    /// <summary>Logits for one sequence as a [seq, vocab] array, computed without gradients and with dropout off.</summary>
    public float[,] Logits(IReadOnlyList<int> tokenIds)
    {
        ArgumentNullException.ThrowIfNull(tokenIds);
        var wasTraining = training;
        eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var ids = tensor(tokenIds.Select(i => (long)i).ToArray(), ScalarType.Int64).unsqueeze(0);
            var logits = forward(ids).squeeze(0).contiguous();
            var flat = logits.data<float>().ToArray();
            var result = new float[tokenIds.Count, Config.VocabSize];
            Buffer.BlockCopy(flat, 0, result, 0, flat.Length * sizeof(float));
            return result;
        }
        finally
        {
            if (wasTraining)
                train();
        }
    }

    /// <summary>
    /// Greedy continuation of <paramref name="prompt"/>: up to <paramref name="maxNewTokens"/> ids, stopping after
    /// <paramref name="stopTokenId"/> if it is produced. Recomputes the whole sequence per token (no KV cache): meant
    /// for checks and small evaluations during training, not for serving.
    /// </summary>
    public IReadOnlyList<int> GenerateGreedy(IReadOnlyList<int> prompt, int maxNewTokens, int? stopTokenId = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (prompt.Count == 0)
            throw new ArgumentException("The prompt must not be empty.", nameof(prompt));
        var sequence = prompt.ToList();
        var generated = new List<int>();
        while (generated.Count < maxNewTokens && sequence.Count < Config.ContextLength)
        {
            var logits = Logits(sequence);
            var last = sequence.Count - 1;
            var best = 0;
            for (var v = 1; v < Config.VocabSize; v++)
            {
                if (logits[last, v] > logits[last, best])
                    best = v;
            }
            generated.Add(best);
            sequence.Add(best);
            if (best == stopTokenId)
                break;
        }
        return generated;
    }

    /// <summary>
    /// Every weight under its Hugging Face name, LoRA adapters merged, as new tensors the caller disposes.
    /// A tied head has no "lm_head.weight".
    /// </summary>
    public Dictionary<string, Tensor> ExportWeights()
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using var noGrad = no_grad();
        foreach (var (name, module) in named_modules())
        {
            if (module is LoraLinear linear)
            {
                result[name + ".weight"] = linear.MergedWeight();
                if (linear.Bias is not null)
                    result[name + ".bias"] = linear.Bias.detach().clone();
            }
        }
        foreach (var (name, parameter) in named_parameters())
        {
            if (!name.Contains("lora_", StringComparison.Ordinal) && !result.ContainsKey(name))
                result[name] = parameter.detach().clone();
        }
        return result;
    }

    /// <summary>Copies weights given under Hugging Face names into this model; every weight must be present with its exact shape.</summary>
    public void LoadWeights(IReadOnlyDictionary<string, Tensor> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        using var noGrad = no_grad();
        foreach (var (name, parameter) in named_parameters())
        {
            if (name.Contains("lora_", StringComparison.Ordinal))
                continue;
            if (!weights.TryGetValue(name, out var source))
                throw new InvalidDataException(string.Format(CultureInfo.InvariantCulture, "Weight '{0}' is missing.", name));
            if (!source.shape.SequenceEqual(parameter.shape))
            {
                throw new InvalidDataException(string.Format(CultureInfo.InvariantCulture,
                    "Weight '{0}' has shape [{1}], the model expects [{2}].", name, string.Join(", ", source.shape), string.Join(", ", parameter.shape)));
            }
            parameter.copy_(source);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            rotary.Dispose();
            DropoutGenerator.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>Embedding, decoder layers and final norm ("model." in Hugging Face names).</summary>
public sealed class LlamaBackbone : nn.Module<Tensor, Tensor>
{
    // TorchSharp also registers fields by reflection: fields carry the Hugging Face names, properties have none.
#pragma warning disable IDE1006, SA1300 // Naming: field names are the modules' names in checkpoints.
    private readonly Embedding embed_tokens;
    private readonly ModuleList<LlamaDecoderLayer> layers;
    private readonly RmsNorm norm;
#pragma warning restore IDE1006, SA1300

    public LlamaBackbone(LlamaConfig config, RotaryEmbedding rotary)
        : base(nameof(LlamaBackbone))
    {
        ArgumentNullException.ThrowIfNull(config);
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumLayers).Select(_ => new LlamaDecoderLayer(config, rotary)).ToArray());
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        register_module("embed_tokens", embed_tokens);
        register_module("layers", layers);
        register_module("norm", norm);
    }

    public Embedding EmbedTokens => embed_tokens;
    public ModuleList<LlamaDecoderLayer> Layers => layers;
    public RmsNorm Norm => norm;

    public override Tensor forward(Tensor input)
    {
        var hidden = EmbedTokens.forward(input);
        foreach (var layer in Layers)
        {
            var next = layer.forward(hidden);
            hidden.Dispose();
            hidden = next;
        }
        using (hidden)
            return Norm.forward(hidden);
    }
}
