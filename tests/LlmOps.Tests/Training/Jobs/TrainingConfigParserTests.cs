using LlmOps.DataPrep;
using LlmOps.Training.Gguf;
using LlmOps.Training.Jobs;

namespace LlmOps.Tests.Training.Jobs;

public sealed class TrainingConfigParserTests
{
    const string Lora = """
        base_model: tiny-lm/1
        datasets:
          - path: 0123456789abcdef
            type: input_output
        adapter: lora
        lora_r: 4
        lora_alpha: 8
        lora_dropout: 0.1
        lora_target_modules: [q_proj, v_proj, o_proj]
        sequence_len: 32
        micro_batch_size: 4
        gradient_accumulation_steps: 2
        num_epochs: 3
        max_steps: 20
        learning_rate: 0.001
        lr_scheduler: cosine
        warmup_steps: 2
        weight_decay: 0.0
        seed: 7
        eval_steps: 5
        save_steps: 10
        register_as: tiny-sft
        export_dtype: q8_0
        """;

    const string Pretrain = """
        datasets:
          - path: 0123456789abcdef
            type: completion
        tokenizer: tiny-bpe
        model_config:
          hidden_size: 64
          num_hidden_layers: 2
          num_attention_heads: 4
          num_key_value_heads: 2
          intermediate_size: 128
          max_position_embeddings: 64
        sequence_len: 32
        register_as: tiny-lm
        """;

    [Fact]
    public void Parse_LoraConfig_ReadsEveryKey()
    {
        var config = TrainingConfigParser.Parse(Lora);

        Assert.Equal(TrainingMode.Lora, config.Mode);
        Assert.Equal("tiny-lm/1", config.BaseModel);
        Assert.Equal(new DatasetEntry("0123456789abcdef", DatasetType.InputOutput, 3), Assert.Single(config.Datasets));
        Assert.Equal((4, 8.0, 0.1), (config.LoraR, config.LoraAlpha, config.LoraDropout));
        Assert.Equal(["q_proj", "v_proj", "o_proj"], config.LoraTargetModules);
        Assert.Equal((32, 4, 2, 3.0, 20), (config.SequenceLen, config.MicroBatchSize, config.GradientAccumulationSteps, config.NumEpochs, config.MaxSteps));
        Assert.Equal((0.001, "cosine", 2, 0.0, 7L), (config.LearningRate, config.LrScheduler, config.WarmupSteps, config.WeightDecay, config.Seed));
        Assert.Equal((5, 10), (config.EvalSteps, config.SaveSteps));
        Assert.Equal("tiny-sft", config.RegisterAs);
        Assert.Equal(GgufFileType.Q8_0, config.ExportDtype);
        Assert.Equal(6, config.LineOf("lora_r"));
        Assert.Equal("q_proj,v_proj,o_proj", config.Parameters["lora_target_modules"]);
        Assert.Equal("input_output", config.Parameters["datasets[0].type"]);
    }

    [Fact]
    public void Parse_PretrainConfig_ReadsModelShapeAndTokenizer()
    {
        var config = TrainingConfigParser.Parse(Pretrain);

        Assert.Equal(TrainingMode.Pretrain, config.Mode);
        Assert.Equal("tiny-bpe", config.Tokenizer);
        Assert.Equal((64, 2, 4, 2, 128, 64), (config.ModelConfig.HiddenSize, config.ModelConfig.NumLayers, config.ModelConfig.NumHeads,
            config.ModelConfig.NumKvHeads, config.ModelConfig.IntermediateSize, config.ModelConfig.ContextLength));
        Assert.Null(config.MaxSteps);
        Assert.Equal(GgufFileType.F32, config.ExportDtype);
    }

    [Fact]
    public void Parse_UnknownKey_NamesKeyAndLine()
    {
        var ex = Assert.Throws<TrainingConfigException>(() => TrainingConfigParser.Parse(Lora.Replace("seed: 7", "sead: 7", StringComparison.Ordinal)));

        Assert.Equal(("sead", 19L), (ex.Key, ex.Line));
        Assert.Contains("unknown key", ex.Message, StringComparison.Ordinal);
        Assert.Contains("line 19", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownNestedKey_NamesPathAndLine()
    {
        var ex = Assert.Throws<TrainingConfigException>(() => TrainingConfigParser.Parse(Pretrain.Replace("hidden_size", "hiden_size", StringComparison.Ordinal)));

        Assert.Equal(("model_config.hiden_size", 6L), (ex.Key, ex.Line));
    }

    [Theory]
    [InlineData("lora_r: 4", "lora_r: four", "lora_r", 6, "integer")]
    [InlineData("learning_rate: 0.001", "learning_rate: fast", "learning_rate", 15, "number")]
    [InlineData("lora_target_modules: [q_proj, v_proj, o_proj]", "lora_target_modules: q_proj", "lora_target_modules", 9, "list")]
    [InlineData("base_model: tiny-lm/1", "base_model: [a, b]", "base_model", 1, "string")]
    [InlineData("export_dtype: q8_0", "export_dtype: q4_k", "export_dtype", 23, "f32, f16, q8_0")]
    [InlineData("lora_dropout: 0.1", "lora_dropout: 1.5", "lora_dropout", 8, "[0, 1)")]
    [InlineData("micro_batch_size: 4", "micro_batch_size: 0", "micro_batch_size", 11, "at least 1")]
    public void Parse_WrongTypeOrValue_NamesKeyAndLine(string good, string bad, string key, long line, string expected)
    {
        var ex = Assert.Throws<TrainingConfigException>(() => TrainingConfigParser.Parse(Lora.Replace(good, bad, StringComparison.Ordinal)));

        Assert.Equal((key, line), (ex.Key, ex.Line));
        Assert.Contains(expected, ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_KeyGivenTwice_NamesTheSecondLine()
    {
        var ex = Assert.Throws<TrainingConfigException>(() => TrainingConfigParser.Parse(Lora + "\nseed: 8\n"));

        Assert.Equal(24, ex.Line);
        Assert.Contains("seed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EmptyBaseModel_IsAnErrorNotAReference()
    {
        var ex = Assert.Throws<TrainingConfigException>(() => TrainingConfigParser.Parse(Lora.Replace("base_model: tiny-lm/1", "base_model:", StringComparison.Ordinal)));

        Assert.Equal(("base_model", 1L), (ex.Key, ex.Line));
    }

    [Fact]
    public void Parse_NotYaml_IsAConfigError()
    {
        var unclosed = Assert.Throws<TrainingConfigException>(() => TrainingConfigParser.Parse("datasets:\n  - path: [unclosed\nseed: 1\n"));
        var badIndent = Assert.Throws<TrainingConfigException>(() => TrainingConfigParser.Parse("seed: 1\n  lora_r: 2\n"));

        Assert.Equal("yaml", unclosed.Key);
        Assert.Equal(("yaml", 2L), (badIndent.Key, badIndent.Line));
    }

    [Fact]
    public void Parse_ChatDataWithoutBaseModel_IsAModeMismatchAtTheTypeLine()
    {
        var ex = Assert.Throws<TrainingConfigException>(() => TrainingConfigParser.Parse(Pretrain.Replace("type: completion", "type: chat_template", StringComparison.Ordinal)));

        Assert.Equal(("datasets[0].type", 3L), (ex.Key, ex.Line));
        Assert.Contains("base_model", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_LoraWithoutBaseModel_NamesAdapter()
    {
        var ex = Assert.Throws<TrainingConfigException>(() => TrainingConfigParser.Parse(Pretrain + "\nadapter: lora\n"));

        Assert.Equal(("adapter", 14L), (ex.Key, ex.Line));
    }

    [Fact]
    public void Parse_MergeLora_ReadsItAndDefaultsToTheAdapter()
    {
        Assert.False(TrainingConfigParser.Parse(Lora).MergeLora);
        Assert.True(TrainingConfigParser.Parse(Lora + "\nmerge_lora: true\n").MergeLora);
        var ex = Assert.Throws<TrainingConfigException>(() => TrainingConfigParser.Parse(Lora.Replace("adapter: lora\n", "", StringComparison.Ordinal)
            .Replace("lora_r: 4\n", "", StringComparison.Ordinal).Replace("lora_alpha: 8\n", "", StringComparison.Ordinal)
            .Replace("lora_dropout: 0.1\n", "", StringComparison.Ordinal).Replace("lora_target_modules: [q_proj, v_proj, o_proj]\n", "", StringComparison.Ordinal) + "\nmerge_lora: true\n"));
        Assert.Equal("merge_lora", ex.Key);
    }

    [Fact]
    public void Load_BaseModelNamingAHuggingFaceFolder_ResolvesItBesideTheConfig()
    {
        var folder = Directory.CreateTempSubdirectory("llmops-config-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(folder, "models", "tiny-hf"));
            File.WriteAllText(Path.Combine(folder, "models", "tiny-hf", "config.json"), "{}");
            var path = Path.Combine(folder, "lora.yaml");
            File.WriteAllText(path, Lora.Replace("base_model: tiny-lm/1", "base_model: models/tiny-hf", StringComparison.Ordinal));
            var registry = Path.Combine(folder, "registry.yaml");
            File.WriteAllText(registry, Lora);

            Assert.Equal(Path.Combine(folder, "models", "tiny-hf"), TrainingConfigParser.Load(path).BaseModelFolder);
            Assert.Null(TrainingConfigParser.Load(registry).BaseModelFolder);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Parse_LoraKeysWithoutAdapter_NamesTheKey()
    {
        var ex = Assert.Throws<TrainingConfigException>(() => TrainingConfigParser.Parse(Lora.Replace("adapter: lora\n", "", StringComparison.Ordinal)));

        Assert.Equal("lora_r", ex.Key);
    }

    [Fact]
    public void Parse_SequenceLenBeyondModelContext_NamesSequenceLen()
    {
        var ex = Assert.Throws<TrainingConfigException>(() => TrainingConfigParser.Parse(Pretrain.Replace("sequence_len: 32", "sequence_len: 128", StringComparison.Ordinal)));

        Assert.Equal(("sequence_len", 12L), (ex.Key, ex.Line));
        Assert.Contains("64", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TokenizerWithBaseModel_IsRefused()
    {
        var ex = Assert.Throws<TrainingConfigException>(() => TrainingConfigParser.Parse(Lora + "\ntokenizer: tiny-bpe\n"));

        Assert.Equal("tokenizer", ex.Key);
    }

    [Fact]
    public void Parse_MissingRegisterAs_IsRequired()
    {
        var ex = Assert.Throws<TrainingConfigException>(() => TrainingConfigParser.Parse(Pretrain.Replace("register_as: tiny-lm", "", StringComparison.Ordinal)));

        Assert.Equal("register_as", ex.Key);
    }

    [Fact]
    public void CheckShape_PromptCompletionRecordsUnderCompletion_NamesTypeLineAndTheFittingType()
    {
        var config = TrainingConfigParser.Parse(Pretrain);

        config.CheckShape(0, RecordShape.Text);
        var ex = Assert.Throws<TrainingConfigException>(() => config.CheckShape(0, RecordShape.PromptCompletion));

        Assert.Equal(("datasets[0].type", 3L), (ex.Key, ex.Line));
        Assert.Contains("type: input_output", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckSequenceLength_BeyondBaseContext_NamesSequenceLenLine()
    {
        var config = TrainingConfigParser.Parse(Lora);

        var ex = Assert.Throws<TrainingConfigException>(() => config.CheckSequenceLength(16, "base model tiny-lm/1"));

        Assert.Equal(("sequence_len", 10L), (ex.Key, ex.Line));
    }

    [Fact]
    public void Load_RelativeOutputDir_IsRelativeToTheConfigFile()
    {
        var folder = Path.Combine(Path.GetTempPath(), "llmops-config-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var path = Path.Combine(folder, "train.yaml");
            File.WriteAllText(path, Pretrain + "\noutput_dir: out/run1\n");

            var config = TrainingConfigParser.Load(path);

            Assert.Equal(Path.Combine(folder, "out", "run1"), config.OutputDir);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
