using System.Globalization;
using LlmOps.Training.Gguf;
using LlmOps.Training.Modeling;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LlmOps.Training.Jobs;

/// <summary>
/// Reads a training config from YAML. Every mistake (an unknown key, a wrong type, a value out of range, settings that
/// contradict each other) is a <see cref="TrainingConfigException"/> naming the key and its line.
/// </summary>
public static class TrainingConfigParser
{
    private static readonly string[] DatasetTypes = ["completion", "input_output", "chat_template"];
    private static readonly string[] ExportDtypes = ["f32", "f16", "q8_0"];

    /// <summary>Parses the YAML file at <paramref name="path"/>; a relative output_dir is taken relative to the file's folder.
    /// <paramref name="overrides"/> (a pipeline step's inputs) apply before the keys are checked together.</summary>
    public static TrainingConfig Load(string path, Action<TrainingConfig>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var config = Parse(File.ReadAllText(path), overrides);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        config.BaseModelFolder = HuggingFaceFolder(config.BaseModel, folder);
        config.OutputDir = config.OutputDir is null
            ? Path.Combine(folder, "outputs", config.RegisterAs)
            : Path.GetFullPath(config.OutputDir, folder);
        return config;
    }

    /// <summary>Parses YAML text; <paramref name="overrides"/> apply before the keys are checked together.</summary>
    public static TrainingConfig Parse(string yaml, Action<TrainingConfig>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            throw new TrainingConfigException("yaml", ex.Start.Line, $"invalid YAML: {ex.Message}");
        }
        catch (InvalidOperationException ex)
        {
            // YamlDotNet's parser throws this (without a position) on some unterminated flow collections.
            throw new TrainingConfigException("yaml", 0, $"invalid YAML: {ex.Message}");
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new TrainingConfigException("config", 1, "a training config is a YAML mapping of keys (base_model, datasets, sequence_len, ...).");

        var config = new TrainingConfig();
        var modelConfig = config.ModelConfig;
        foreach (var (keyNode, value) in root.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            var line = keyNode.Start.Line;
            if (config.Lines.ContainsKey(key))
                throw new TrainingConfigException(key, line, "is given twice.");
            config.Lines[key] = line;
            switch (key)
            {
                case "base_model": config.BaseModel = Text(key, value); break;
                case "datasets": ReadDatasets(config, value); break;
                case "adapter":
                    var adapter = Text(key, value, allowEmpty: true);
                    if (adapter.Length > 0 && adapter != "lora")
                        throw new TrainingConfigException(key, line, $"'{adapter}' is not supported; the only adapter is 'lora' (omit the key for full training).");
                    config.Adapter = adapter.Length == 0 ? null : adapter;
                    break;
                case "lora_r": config.LoraR = Int(key, value, min: 1); break;
                case "lora_alpha": config.LoraAlpha = Number(key, value, min: double.Epsilon); break;
                case "lora_dropout": config.LoraDropout = Number(key, value, min: 0, maxExclusive: 1); break;
                case "lora_target_modules": config.LoraTargetModules = Strings(key, value); break;
                case "merge_lora": config.MergeLora = Bool(key, value); break;
                case "sequence_len": config.SequenceLen = Int(key, value, min: 1); break;
                case "micro_batch_size": config.MicroBatchSize = Int(key, value, min: 1); break;
                case "gradient_accumulation_steps": config.GradientAccumulationSteps = Int(key, value, min: 1); break;
                case "num_epochs": config.NumEpochs = Number(key, value, min: double.Epsilon); break;
                case "max_steps": config.MaxSteps = Int(key, value, min: 1); break;
                case "learning_rate": config.LearningRate = Number(key, value, min: double.Epsilon); break;
                case "lr_scheduler":
                    config.LrScheduler = Choice(key, value, ["cosine"]);
                    break;
                case "warmup_steps": config.WarmupSteps = Int(key, value, min: 0); break;
                case "weight_decay": config.WeightDecay = Number(key, value, min: 0); break;
                case "max_grad_norm": config.MaxGradNorm = Number(key, value, min: 0); break;
                case "seed": config.Seed = Int(key, value, min: 0); break;
                case "eval_steps": config.EvalSteps = Int(key, value, min: 0); break;
                case "save_steps": config.SaveSteps = Int(key, value, min: 0); break;
                case "save_total_limit": config.SaveTotalLimit = Int(key, value, min: 0); break;
                case "logging_steps": config.LoggingSteps = Int(key, value, min: 1); break;
                case "output_dir": config.OutputDir = Text(key, value); break;
                case "model_config": modelConfig = ReadModelConfig(config, value, modelConfig); break;
                case "tokenizer": config.Tokenizer = Text(key, value); break;
                case "register_as":
                    config.RegisterAs = Text(key, value);
                    try
                    {
                        Registry.ModelRegistry.ValidateName(config.RegisterAs, key);
                    }
                    catch (InvalidInputException ex)
                    {
                        throw new TrainingConfigException(key, line, ex.Reason);
                    }
                    break;
                case "export_dtype":
                    config.ExportDtype = Choice(key, value, ExportDtypes) switch
                    {
                        "f16" => GgufFileType.F16,
                        "q8_0" => GgufFileType.Q8_0,
                        _ => GgufFileType.F32,
                    };
                    break;
                default:
                    throw new TrainingConfigException(key.Length == 0 ? "(key)" : key, line, $"unknown key; known keys: {string.Join(", ", KnownKeys)}.");
            }
            if (value is YamlScalarNode scalar && key != "datasets" && key != "model_config")
                config.Parameters[key] = scalar.Value ?? "";
            else if (value is YamlSequenceNode list && key == "lora_target_modules")
                config.Parameters[key] = string.Join(",", list.Children.OfType<YamlScalarNode>().Select(s => s.Value));
        }
        config.ModelConfig = modelConfig;
        overrides?.Invoke(config);
        config.BaseModelFolder = HuggingFaceFolder(config.BaseModel, Directory.GetCurrentDirectory());
        CheckTogether(config);
        return config;
    }

    /// <summary>The full path of <paramref name="baseModel"/> when it names a folder holding a config.json (a Hugging Face
    /// model folder) relative to <paramref name="folder"/>; null when it is a registry reference.</summary>
    public static string? HuggingFaceFolder(string? baseModel, string folder)
    {
        if (baseModel is null)
            return null;
        var full = Path.GetFullPath(baseModel, folder);
        return File.Exists(Path.Combine(full, SafeTensors.HuggingFaceCheckpoint.ConfigFileName)) ? full : null;
    }

    /// <summary>The keys a config may use.</summary>
    public static IReadOnlyList<string> KnownKeys { get; } =
    [
        "base_model", "datasets", "adapter", "lora_r", "lora_alpha", "lora_dropout", "lora_target_modules", "merge_lora", "sequence_len",
        "micro_batch_size", "gradient_accumulation_steps", "num_epochs", "max_steps", "learning_rate", "lr_scheduler",
        "warmup_steps", "weight_decay", "max_grad_norm", "seed", "eval_steps", "save_steps", "save_total_limit", "logging_steps",
        "output_dir", "model_config", "tokenizer", "register_as", "export_dtype",
    ];

    /// <summary>The keys of <c>model_config</c> (Hugging Face config.json names).</summary>
    public static IReadOnlyList<string> ModelConfigKeys { get; } =
    [
        "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "intermediate_size",
        "max_position_embeddings", "rope_theta", "rms_norm_eps", "tie_word_embeddings",
    ];

    private static void CheckTogether(TrainingConfig config)
    {
        if (!config.Lines.ContainsKey("datasets"))
            throw new TrainingConfigException("datasets", 0, "is required: a list of { path: <dataset version id>, type: completion|input_output|chat_template }.");
        if (config.RegisterAs.Length == 0)
            throw new TrainingConfigException("register_as", 0, "is required: the model name the trained version is registered under.");
        switch (config.Mode)
        {
            case TrainingMode.Pretrain:
                if (config.Adapter is not null)
                    throw new TrainingConfigException("adapter", config.LineOf("adapter"), "a LoRA adapter needs a base_model to adapt; omit adapter to pretrain from scratch.");
                if (config.Tokenizer is null)
                    throw new TrainingConfigException("tokenizer", 0, "pretraining from scratch (no base_model) needs a tokenizer: the run id or name given by 'llmops tokenizer train'.");
                for (var i = 0; i < config.Datasets.Count; i++)
                {
                    if (config.Datasets[i].Type != DatasetType.Completion)
                    {
                        var key = $"datasets[{i}].type";
                        throw new TrainingConfigException(key, config.LineOf(key),
                            $"pretraining (no base_model) learns raw text: use type: completion, or give a base_model to fine-tune on {TrainingConfig.Name(config.Datasets[i].Type)} data.");
                    }
                }
                config.ModelConfig.Validate();
                config.CheckSequenceLength(config.ModelConfig.ContextLength, "model_config.max_position_embeddings");
                break;
            default:
                if (config.Tokenizer is not null)
                    throw new TrainingConfigException("tokenizer", config.LineOf("tokenizer"), "a base model brings its own tokenizer; remove this key.");
                if (config.Lines.ContainsKey("model_config"))
                    throw new TrainingConfigException("model_config", config.LineOf("model_config"), "the shape comes from the base model; remove this key.");
                break;
        }
        foreach (var key in new[] { "lora_r", "lora_alpha", "lora_dropout", "lora_target_modules", "merge_lora" })
        {
            if (config.Adapter is null && config.Lines.ContainsKey(key))
                throw new TrainingConfigException(key, config.LineOf(key), "is a LoRA setting but no 'adapter: lora' is given.");
        }
    }

    private static void ReadDatasets(TrainingConfig config, YamlNode value)
    {
        if (value is not YamlSequenceNode list || list.Children.Count == 0)
            throw new TrainingConfigException("datasets", value.Start.Line, "must be a non-empty list of { path, type }.");
        for (var i = 0; i < list.Children.Count; i++)
        {
            var prefix = $"datasets[{i}]";
            if (list.Children[i] is not YamlMappingNode item)
                throw new TrainingConfigException(prefix, list.Children[i].Start.Line, "must be a mapping { path: <dataset version id>, type: completion|input_output|chat_template }.");
            string? path = null;
            DatasetType? type = null;
            foreach (var (k, v) in item.Children)
            {
                var name = (k as YamlScalarNode)?.Value ?? "";
                var key = $"{prefix}.{name}";
                config.Lines[key] = k.Start.Line;
                switch (name)
                {
                    case "path": path = Text(key, v); break;
                    case "type":
                        type = Choice(key, v, DatasetTypes) switch
                        {
                            "input_output" => DatasetType.InputOutput,
                            "chat_template" => DatasetType.ChatTemplate,
                            _ => DatasetType.Completion,
                        };
                        break;
                    default: throw new TrainingConfigException(key, k.Start.Line, "unknown key; a dataset has 'path' and 'type'.");
                }
            }
            if (path is null)
                throw new TrainingConfigException($"{prefix}.path", item.Start.Line, "is required: a dataset version id (see 'llmops data list').");
            if (type is null)
                throw new TrainingConfigException($"{prefix}.type", item.Start.Line, "is required: completion, input_output or chat_template.");
            config.Datasets.Add(new DatasetEntry(path, type.Value, item.Start.Line));
            config.Parameters[$"{prefix}.path"] = path;
            config.Parameters[$"{prefix}.type"] = TrainingConfig.Name(type.Value);
        }
    }

    private static LlamaConfig ReadModelConfig(TrainingConfig config, YamlNode value, LlamaConfig shape)
    {
        if (value is not YamlMappingNode mapping)
            throw new TrainingConfigException("model_config", value.Start.Line, "must be a mapping (hidden_size, num_hidden_layers, ...).");
        var kvHeadsGiven = false;
        foreach (var (k, v) in mapping.Children)
        {
            var name = (k as YamlScalarNode)?.Value ?? "";
            var key = $"model_config.{name}";
            config.Lines[key] = k.Start.Line;
            shape = name switch
            {
                "hidden_size" => shape with { HiddenSize = Int(key, v, min: 1) },
                "num_hidden_layers" => shape with { NumLayers = Int(key, v, min: 1) },
                "num_attention_heads" => shape with { NumHeads = Int(key, v, min: 1) },
                "num_key_value_heads" => shape with { NumKvHeads = Int(key, v, min: 1) },
                "intermediate_size" => shape with { IntermediateSize = Int(key, v, min: 1) },
                "max_position_embeddings" => shape with { ContextLength = Int(key, v, min: 1) },
                "rope_theta" => shape with { RopeTheta = Number(key, v, min: double.Epsilon) },
                "rms_norm_eps" => shape with { RmsNormEps = Number(key, v, min: double.Epsilon) },
                "tie_word_embeddings" => shape with { TieWordEmbeddings = Bool(key, v) },
                _ => throw new TrainingConfigException(key, k.Start.Line, $"unknown key; known: {string.Join(", ", ModelConfigKeys)}."),
            };
            kvHeadsGiven |= name == "num_key_value_heads";
            config.Parameters[key] = (v as YamlScalarNode)?.Value ?? "";
        }
        if (!kvHeadsGiven)
            shape = shape with { NumKvHeads = shape.NumHeads };
        try
        {
            // The vocabulary size comes from the tokenizer later; any positive value checks the rest here.
            (shape with { VocabSize = Math.Max(1, shape.VocabSize) }).Validate();
        }
        catch (ArgumentException ex)
        {
            throw new TrainingConfigException("model_config", value.Start.Line, ex.Message);
        }
        return shape;
    }

    private static string Scalar(string key, YamlNode node, string expected) =>
        node is YamlScalarNode { Value: { } text }
            ? text
            : throw new TrainingConfigException(key, node.Start.Line, $"expected {expected}, got a {(node is YamlSequenceNode ? "list" : "mapping")}.");

    private static string Text(string key, YamlNode node, bool allowEmpty = false)
    {
        var text = Scalar(key, node, "a string");
        return text.Length > 0 || allowEmpty
            ? text
            : throw new TrainingConfigException(key, node.Start.Line, "is empty; give a value or omit the key.");
    }

    private static int Int(string key, YamlNode node, int min)
    {
        var text = Scalar(key, node, "an integer");
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            throw new TrainingConfigException(key, node.Start.Line, $"expected an integer, got '{text}'.");
        if (value < min)
            throw new TrainingConfigException(key, node.Start.Line, $"must be at least {min}, got {value}.");
        return value;
    }

    private static double Number(string key, YamlNode node, double min, double maxExclusive = double.PositiveInfinity)
    {
        var text = Scalar(key, node, "a number");
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            throw new TrainingConfigException(key, node.Start.Line, $"expected a number, got '{text}'.");
        if (value < min || value >= maxExclusive)
        {
            var range = double.IsPositiveInfinity(maxExclusive)
                ? min == double.Epsilon ? "must be positive" : $"must be at least {min.ToString(CultureInfo.InvariantCulture)}"
                : $"must be in [{min.ToString(CultureInfo.InvariantCulture)}, {maxExclusive.ToString(CultureInfo.InvariantCulture)})";
            throw new TrainingConfigException(key, node.Start.Line, $"{range}, got {text}.");
        }
        return value;
    }

    private static bool Bool(string key, YamlNode node)
    {
        var text = Scalar(key, node, "true or false");
        return text switch
        {
            "true" or "True" => true,
            "false" or "False" => false,
            _ => throw new TrainingConfigException(key, node.Start.Line, $"expected true or false, got '{text}'."),
        };
    }

    private static string Choice(string key, YamlNode node, IReadOnlyList<string> choices)
    {
        var text = Scalar(key, node, $"one of {string.Join(", ", choices)}");
        return choices.Contains(text, StringComparer.Ordinal)
            ? text
            : throw new TrainingConfigException(key, node.Start.Line, $"'{text}' is not one of {string.Join(", ", choices)}.");
    }

    private static List<string> Strings(string key, YamlNode node)
    {
        if (node is not YamlSequenceNode list || list.Children.Count == 0)
            throw new TrainingConfigException(key, node.Start.Line, "expected a non-empty list of module names, e.g. [q_proj, v_proj].");
        return [.. list.Children.Select((c, i) => Text($"{key}[{i}]", c))];
    }
}
