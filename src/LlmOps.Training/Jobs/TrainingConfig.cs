using LlmOps.DataPrep;
using LlmOps.Training.Gguf;
using LlmOps.Training.Modeling;

namespace LlmOps.Training.Jobs;

/// <summary>How one dataset's records become training examples (axolotl's <c>datasets[].type</c>).</summary>
public enum DatasetType
{
    /// <summary>Raw text records; every token is learned (axolotl's <c>completion</c>).</summary>
    Completion,

    /// <summary>Prompt/completion records; only the completion is learned (axolotl's <c>input_output</c>).</summary>
    InputOutput,

    /// <summary>Chat records; only the assistant turns are learned (axolotl's <c>chat_template</c>).</summary>
    ChatTemplate,
}

/// <summary>What a run does to its starting weights.</summary>
public enum TrainingMode
{
    /// <summary>No base model: a new model of <see cref="TrainingConfig.ModelConfig"/>'s shape from random weights.</summary>
    Pretrain,

    /// <summary>Every weight of the base model is trained.</summary>
    FullFineTune,

    /// <summary>The base model is frozen; LoRA adapters are trained and merged into it on export.</summary>
    Lora,
}

/// <summary>One entry of <c>datasets</c>: a dataset version id (or unique prefix) and how to read it.</summary>
public sealed record DatasetEntry(string Path, DatasetType Type, long Line);

/// <summary>
/// A training run as written in YAML with axolotl's key names (plus ours for a from-scratch model shape, the tokenizer,
/// the registered name and the export format). Defaults live here; <see cref="TrainingConfigParser"/> fills it and checks it.
/// </summary>
public sealed class TrainingConfig
{
    /// <summary>
    /// The starting model: a registry reference (<c>name/3</c> or <c>name@prod</c>) or a Hugging Face folder (config.json,
    /// *.safetensors, tokenizer.json); null pretrains from scratch (base_model).
    /// </summary>
    public string? BaseModel { get; set; }

    /// <summary>The full path of the Hugging Face folder <see cref="BaseModel"/> names, when it names an existing folder
    /// with a config.json (relative to the config file's folder); null for a registry reference.</summary>
    public string? BaseModelFolder { get; set; }

    /// <summary>Datasets to train on (datasets); validation uses their validation splits.</summary>
    public IList<DatasetEntry> Datasets { get; } = [];

    /// <summary>"lora" or null (adapter).</summary>
    public string? Adapter { get; set; }

    public int LoraR { get; set; } = 8;
    public double LoraAlpha { get; set; } = 16;
    public double LoraDropout { get; set; } = 0.05;
    public IList<string> LoraTargetModules { get; set; } = ["q_proj", "v_proj"];

    /// <summary>
    /// LoRA only: register the adapters merged into the base as a gguf version (true), instead of a lora version whose file
    /// is the llama.cpp adapter GGUF served over the base (false, the default). The merged GGUF is written and logged
    /// on the run either way (merge_lora).
    /// </summary>
    public bool MergeLora { get; set; }

    public int SequenceLen { get; set; } = 128;
    public int MicroBatchSize { get; set; } = 8;
    public int GradientAccumulationSteps { get; set; } = 1;

    /// <summary>Passes over the training windows; used when <see cref="MaxSteps"/> is not set (num_epochs).</summary>
    public double NumEpochs { get; set; } = 1;

    /// <summary>Optimizer steps; when null, derived from <see cref="NumEpochs"/> (max_steps).</summary>
    public int? MaxSteps { get; set; }

    public double LearningRate { get; set; } = 3e-4;

    /// <summary>Only "cosine" (linear warm-up, then cosine decay) is implemented (lr_scheduler).</summary>
    public string LrScheduler { get; set; } = "cosine";

    public int WarmupSteps { get; set; } = 10;
    public double WeightDecay { get; set; } = 0.01;
    public double MaxGradNorm { get; set; } = 1.0;
    public long Seed { get; set; } = 42;

    /// <summary>Validate every this many steps and at the end; 0 only at the end (eval_steps).</summary>
    public int EvalSteps { get; set; }

    /// <summary>Checkpoint every this many steps; 0 never (save_steps).</summary>
    public int SaveSteps { get; set; }

    /// <summary>Keep only this many newest checkpoints; 0 keeps all (save_total_limit).</summary>
    public int SaveTotalLimit { get; set; } = 2;

    /// <summary>Send the step metrics to the run every this many steps (logging_steps).</summary>
    public int LoggingSteps { get; set; } = 1;

    /// <summary>Work folder for checkpoints and the exported file; relative paths are relative to the config file (output_dir).</summary>
    public string? OutputDir { get; set; }

    /// <summary>Shape of a from-scratch model (model_config, Hugging Face config.json names); vocab size comes from the tokenizer.</summary>
    public LlamaConfig ModelConfig { get; set; } = new()
    {
        HiddenSize = 256,
        NumLayers = 4,
        NumHeads = 4,
        NumKvHeads = 4,
        IntermediateSize = 688,
        ContextLength = 512,
    };

    /// <summary>A tokenizer trained by <c>llmops tokenizer train</c>: its run id or its name (tokenizer); pretraining only.</summary>
    public string? Tokenizer { get; set; }

    /// <summary>Model name the result is registered under (register_as).</summary>
    public string RegisterAs { get; set; } = "";

    /// <summary>Weight format of the exported GGUF (export_dtype: f32, f16, q8_0).</summary>
    public GgufFileType ExportDtype { get; set; } = GgufFileType.F32;

    /// <summary>YAML line of each key (nested as <c>datasets[0].type</c>, <c>model_config.hidden_size</c>), for errors found later.</summary>
    public IDictionary<string, long> Lines { get; } = new Dictionary<string, long>(StringComparer.Ordinal);

    /// <summary>Every key as written (flattened), logged as the run's parameters.</summary>
    public IDictionary<string, string> Parameters { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    public TrainingMode Mode => BaseModel is null ? TrainingMode.Pretrain : Adapter is null ? TrainingMode.FullFineTune : TrainingMode.Lora;

    /// <summary>The line of <paramref name="key"/>, or 0 when the key was not written (a default).</summary>
    public long LineOf(string key) => Lines.TryGetValue(key, out var line) ? line : 0;

    /// <summary>The record shape a dataset type reads.</summary>
    public static RecordShape ShapeOf(DatasetType type) => type switch
    {
        DatasetType.Completion => RecordShape.Text,
        DatasetType.InputOutput => RecordShape.PromptCompletion,
        _ => RecordShape.Chat,
    };

    /// <summary>The YAML spelling of a dataset type.</summary>
    public static string Name(DatasetType type) => type switch
    {
        DatasetType.Completion => "completion",
        DatasetType.InputOutput => "input_output",
        _ => "chat_template",
    };

    /// <summary>Throws <see cref="TrainingConfigException"/> when dataset <paramref name="index"/> holds records of another shape than its type reads.</summary>
    public void CheckShape(int index, RecordShape actual)
    {
        var entry = Datasets[index];
        var expected = ShapeOf(entry.Type);
        if (actual != expected)
        {
            var key = $"datasets[{index}].type";
            throw new TrainingConfigException(key, LineOf(key),
                $"'{Name(entry.Type)}' reads {Describe(expected)} records, but dataset {entry.Path} holds {Describe(actual)} records (use type: {Name(TypeOf(actual))}).");
        }
    }

    /// <summary>Throws <see cref="TrainingConfigException"/> when sequence_len exceeds the model's context length.</summary>
    public void CheckSequenceLength(int contextLength, string what)
    {
        if (SequenceLen > contextLength)
            throw new TrainingConfigException("sequence_len", LineOf("sequence_len"), $"{SequenceLen} is beyond {what}'s context length of {contextLength}.");
    }

    private static DatasetType TypeOf(RecordShape shape) => shape switch
    {
        RecordShape.Text => DatasetType.Completion,
        RecordShape.PromptCompletion => DatasetType.InputOutput,
        _ => DatasetType.ChatTemplate,
    };

    private static string Describe(RecordShape shape) => shape switch
    {
        RecordShape.Text => "text",
        RecordShape.PromptCompletion => "prompt/completion",
        _ => "chat",
    };
}
