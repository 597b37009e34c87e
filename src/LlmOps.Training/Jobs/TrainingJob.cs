using System.Globalization;
using System.Threading.Channels;
using LlmOps.Datasets;
using LlmOps.Registry;
using LlmOps.Runs;
using LlmOps.Tokenizers;
using LlmOps.Training.Checkpointing;
using LlmOps.Training.Gguf;
using LlmOps.Training.Lora;
using LlmOps.Training.Modeling;
using LlmOps.Training.Runtime;
using LlmOps.Training.SafeTensors;
using LlmOps.Training.Trainers;

namespace LlmOps.Training.Jobs;

/// <summary>Where a job is, for progress bars: its phase (loading, tokenizing, training, exporting, registering) and the last step's numbers.</summary>
public sealed record TrainingJobProgress(string Phase, int Step, int MaxSteps, double? Loss = null, double? ValidationLoss = null, double TokensPerSecond = 0);

/// <summary>What a finished job produced.</summary>
public sealed record TrainingJobResult(string RunId, ModelVersion Version, TrainingResult Training, int? ResumedFromStep, long TrainWindows, long ValidationWindows);

/// <summary>
/// One training run from a <see cref="TrainingConfig"/>: resolves the dataset versions and the base model (a registered
/// gguf or lora version, a Hugging Face folder with its tokenizer.json, or none to pretrain with a stored tokenizer), tokenizes
/// with completion-only loss for prompt/completion and chat data, tracks a run (parameters = the config, metrics every
/// logging_steps, validation every eval_steps), checkpoints every save_steps into output_dir (resumable until the version
/// is registered), exports GGUF into the artifact store and registers a model version with lineage, metrics and a model
/// card. A LoRA run registers a lora version whose file is the llama.cpp adapter GGUF, served over its base version
/// (a base that is no gguf version — a Hugging Face folder, or a lora version with its adapter merged — is registered first
/// as <c>{register_as}-base</c>), unless merge_lora asks for the merged model;
/// the merged GGUF is the run's model.gguf artifact either way. The run ends Finished, Failed, or Killed when cancelled.
/// </summary>
public sealed class TrainingJob(TrainingServices services)
{
    /// <summary>The experiment that holds training runs.</summary>
    public const string Experiment = "training";

    /// <summary>The name of the exported file in the model version.</summary>
    public const string ModelFileName = "model.gguf";

    /// <summary>The GGUF of a starting point that is no gguf version (a Hugging Face folder, a lora version merged), for a LoRA adapter to be served over.</summary>
    public const string BaseFileName = "base.gguf";

    /// <summary>What is appended to register_as to name the registered GGUF of a base that is not a gguf version
    /// (a Hugging Face folder, or a lora version with its adapter merged).</summary>
    public const string BaseModelSuffix = "-base";

    /// <summary>The tag of a lora version that sets the scale its adapter is applied at (as the gateway reads it).</summary>
    public const string LoraScaleTag = "lora_scale";

    /// <summary>Runs the job. With <paramref name="resume"/>, continues from the newest checkpoint in output_dir (in a new run tagged with the step it resumed from).</summary>
    public async Task<TrainingJobResult> RunAsync(
        TrainingConfig config,
        bool resume = false,
        Action<TrainingJobProgress>? onProgress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        TorchRuntime.EnsureLoaded();
        var outputDir = config.OutputDir ?? Path.Combine(Path.GetTempPath(), "llmops-train", config.RegisterAs);
        var checkpoints = Path.Combine(outputDir, "checkpoints");
        var resumeFrom = TrainingCheckpoint.Latest(checkpoints);
        if (resume && resumeFrom is null)
            throw new InvalidInputException("--resume", $"there is no checkpoint to resume in {checkpoints}.");
        if (!resume && resumeFrom is not null)
            throw new InvalidInputException("--resume", $"{checkpoints} holds checkpoints of an earlier run: pass --resume to continue it, or delete the folder to start again.");
        Directory.CreateDirectory(outputDir);
        onProgress?.Invoke(new TrainingJobProgress("loading", 0, 0));

        var datasets = new List<DatasetVersion>();
        for (var i = 0; i < config.Datasets.Count; i++)
        {
            var key = $"datasets[{i}].path";
            try
            {
                datasets.Add(await services.Datasets.GetAsync(config.Datasets[i].Path, cancellationToken).ConfigureAwait(false));
            }
            catch (LlmOpsException ex) when (ex is NotFoundException or InvalidInputException)
            {
                throw new TrainingConfigException(key, config.LineOf(key), ex.Message);
            }
        }

        using var start = await LoadStartingPointAsync(config, outputDir, cancellationToken).ConfigureAwait(false);
        var model = start.Model;
        var exportOptions = new GgufExportOptions { FileType = config.ExportDtype, ModelName = config.RegisterAs };
        var adapterOnly = config.Mode == TrainingMode.Lora && !config.MergeLora;
        string? startingPointPath = null;
        if (adapterOnly && start.Base?.Format != ModelFormats.Gguf)
        {
            // The adapter is served over this exact GGUF: exported now, while the weights are the starting point's own.
            startingPointPath = Path.Combine(outputDir, BaseFileName);
            await GgufModelExporter.ExportAsync(model, start.Tokenizer, startingPointPath, new GgufExportOptions { FileType = config.ExportDtype, ModelName = config.RegisterAs + BaseModelSuffix }, cancellationToken).ConfigureAwait(false);
        }
        onProgress?.Invoke(new TrainingJobProgress("tokenizing", 0, 0));
        var builder = new ExampleBuilder(start.Encode, start.Tokenizer.EosTokenId);
        var train = await BuildAsync(config, datasets, "train", builder, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidInputException("datasets", "the train splits hold no token to learn.");
        var validation = await BuildAsync(config, datasets, "validation", builder, cancellationToken).ConfigureAwait(false);

        IReadOnlyList<string> adapted = [];
        if (config.Mode == TrainingMode.Lora)
        {
            try
            {
                adapted = LoraAdapter.Apply(model, new LoraOptions
                {
                    Rank = config.LoraR,
                    Alpha = config.LoraAlpha,
                    Dropout = config.LoraDropout,
                    TargetModules = config.LoraTargetModules,
                    Seed = config.Seed,
                });
            }
            catch (ArgumentException ex)
            {
                throw new TrainingConfigException("lora_target_modules", config.LineOf("lora_target_modules"), ex.Message);
            }
        }
        var (trainable, total) = LoraAdapter.CountParameters(model);
        var windowsPerStep = config.MicroBatchSize * config.GradientAccumulationSteps;
        var maxSteps = config.MaxSteps ?? Math.Max(1, (int)Math.Ceiling(train.WindowCount * config.NumEpochs / windowsPerStep));
        var options = new TrainerOptions
        {
            SequenceLength = config.SequenceLen,
            MicroBatchSize = config.MicroBatchSize,
            GradientAccumulationSteps = config.GradientAccumulationSteps,
            MaxSteps = maxSteps,
            LearningRate = config.LearningRate,
            WarmupSteps = Math.Min(config.WarmupSteps, maxSteps),
            WeightDecay = config.WeightDecay,
            MaxGradNorm = config.MaxGradNorm,
            Seed = config.Seed,
            EvalSteps = config.EvalSteps,
            SaveSteps = config.SaveSteps,
            SaveTotalLimit = config.SaveTotalLimit,
            OutputDirectory = checkpoints,
        };
        int? resumedFromStep = resumeFrom is null ? null : StepOf(resumeFrom);

        var parameters = new Dictionary<string, string>(config.Parameters, StringComparer.Ordinal)
        {
            ["mode"] = config.Mode.ToString().ToLowerInvariant(),
            ["max_steps"] = maxSteps.ToString(CultureInfo.InvariantCulture),
            ["dataset_versions"] = string.Join(",", datasets.Select(d => d.Id)),
            ["trainable_parameters"] = trainable.ToString(CultureInfo.InvariantCulture),
            ["total_parameters"] = total.ToString(CultureInfo.InvariantCulture),
            ["train_windows"] = train.WindowCount.ToString(CultureInfo.InvariantCulture),
            ["vocab_size"] = model.Config.VocabSize.ToString(CultureInfo.InvariantCulture),
        };
        if (start.Base is { } baseVersion)
            parameters["base_model_version"] = baseVersion.Reference;
        if (start.BaseFolder is { } baseFolder)
            parameters["base_model_folder"] = baseFolder;
        if (start.TokenizerRunId is { } tokenizerRun)
            parameters["tokenizer_run"] = tokenizerRun;
        var tags = new Dictionary<string, string>(StringComparer.Ordinal) { ["kind"] = "training" };
        if (resumedFromStep is { } resumedStep)
            tags["resumed_from_step"] = resumedStep.ToString(CultureInfo.InvariantCulture);
        var run = await services.Runs.StartRunAsync(new StartRun(Experiment, config.RegisterAs, Params: parameters, Tags: tags), cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await TrainAsync(model, options, config, train, validation, resumeFrom, run.Id, onProgress, cancellationToken).ConfigureAwait(false);

            onProgress?.Invoke(new TrainingJobProgress("exporting", result.Steps, maxSteps, result.FinalLoss, result.ValidationLoss, result.TokensPerSecond));
            var ggufPath = Path.Combine(outputDir, ModelFileName);
            await GgufModelExporter.ExportAsync(model, start.Tokenizer, ggufPath, exportOptions, cancellationToken).ConfigureAwait(false);
            var file = await services.UploadFileAsync(ggufPath, ModelFileName, cancellationToken).ConfigureAwait(false);
            await services.Runs.LogArtifactAsync(run.Id, ModelFileName, file.Sha256, cancellationToken).ConfigureAwait(false);
            var format = ModelFormats.Gguf;
            var baseOfVersion = start.Base;
            if (adapterOnly)
            {
                var adapterPath = Path.Combine(outputDir, GgufLoraExporter.FileName);
                await GgufLoraExporter.ExportAsync(model, adapterPath, exportOptions, cancellationToken).ConfigureAwait(false);
                file = await services.UploadFileAsync(adapterPath, GgufLoraExporter.FileName, cancellationToken).ConfigureAwait(false);
                await services.Runs.LogArtifactAsync(run.Id, GgufLoraExporter.FileName, file.Sha256, cancellationToken).ConfigureAwait(false);
                format = ModelFormats.Lora;
                if (baseOfVersion?.Format != ModelFormats.Gguf)
                    baseOfVersion = await RegisterStartingPointAsync(config, start, startingPointPath!, cancellationToken).ConfigureAwait(false);
            }

            onProgress?.Invoke(new TrainingJobProgress("registering", result.Steps, maxSteps, result.FinalLoss, result.ValidationLoss, result.TokensPerSecond));
            var metrics = new Dictionary<string, double>(StringComparer.Ordinal) { ["train_loss"] = result.FinalLoss };
            if (result.ValidationLoss is { } vl)
            {
                metrics["val_loss"] = vl;
                metrics["perplexity"] = Math.Exp(vl);
            }
            var versionTags = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["training.mode"] = parameters["mode"],
                ["training.dataset_versions"] = parameters["dataset_versions"],
                ["export_dtype"] = config.ExportDtype.ToString().ToLowerInvariant(),
            };
            if (start.BaseFolder is { } folder)
                versionTags["training.base_folder"] = folder;
            var card = ModelCard.Write(config, model.Config, start, baseOfVersion, datasets, result, run.Id, trainable, total, adapted, train.WindowCount);
            // ModelLineage holds one dataset version: the first; all of them are in the tags and the run's parameters.
            var version = await services.Models.RegisterVersionAsync(new RegisterVersion(
                config.RegisterAs,
                format,
                [file],
                Lineage: new ModelLineage(baseOfVersion?.ModelName, baseOfVersion?.Version, datasets[0].Id, run.Id),
                Metrics: metrics,
                Tags: versionTags,
                ModelCard: card), cancellationToken).ConfigureAwait(false);
            await services.Runs.EndRunAsync(run.Id, RunStatus.Finished, cancellationToken).ConfigureAwait(false);
            // Checkpoints exist to finish an unfinished run; once the version is registered, training further starts from it
            // (base_model), and the same config can run again without --resume.
            if (Directory.Exists(checkpoints))
                Directory.Delete(checkpoints, recursive: true);
            return new TrainingJobResult(run.Id, version, result, resumedFromStep, train.WindowCount, validation?.WindowCount ?? 0);
        }
        catch (Exception ex)
        {
            // The run's end must be recorded even when the job was cancelled.
            await services.Runs.EndRunAsync(run.Id, ex is OperationCanceledException ? RunStatus.Killed : RunStatus.Failed, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Registers the GGUF of a starting point that is no gguf version (<c>{register_as}-base</c>: a Hugging Face folder, or a
    /// lora version with its adapter merged) for a LoRA version to be served over; an identical file registered before is
    /// reused, so re-running a config adds no version.
    /// </summary>
    private async Task<ModelVersion> RegisterStartingPointAsync(TrainingConfig config, StartingPoint start, string path, CancellationToken cancellationToken)
    {
        var name = config.RegisterAs + BaseModelSuffix;
        var file = await services.UploadFileAsync(path, BaseFileName, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<ModelVersion> existing;
        try
        {
            existing = await services.Models.ListVersionsAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
            existing = [];
        }
        if (existing.FirstOrDefault(v => v.Format == ModelFormats.Gguf && v.Files.Any(f => f.Sha256 == file.Sha256)) is { } same)
            return same;
        var dtype = config.ExportDtype.ToString().ToLowerInvariant();
        var tags = new Dictionary<string, string>(StringComparer.Ordinal) { ["export_dtype"] = dtype };
        string what;
        if (start.BaseFolder is { } folder)
        {
            tags["source.hf_folder"] = folder;
            what = $"The Hugging Face model in `{folder}` converted to GGUF ({dtype})";
        }
        else
        {
            tags["source.merged_lora"] = start.Base!.Reference;
            what = $"{start.Base.Reference} with its LoRA adapter merged, as GGUF ({dtype})";
        }
        return await services.Models.RegisterVersionAsync(new RegisterVersion(
            name,
            ModelFormats.Gguf,
            [file],
            Lineage: start.Base is { } from ? new ModelLineage(from.ModelName, from.Version) : null,
            Tags: tags,
            ModelCard: $"# {name}\n\n{what} by LlmOps, as the base that the LoRA adapters of `{config.RegisterAs}` are served over.\n"),
            cancellationToken).ConfigureAwait(false);
    }

    private async Task<TrainingResult> TrainAsync(
        LlamaForCausalLM model,
        TrainerOptions options,
        TrainingConfig config,
        PackedTokenDataset train,
        PackedTokenDataset? validation,
        string? resumeFrom,
        string runId,
        Action<TrainingJobProgress>? onProgress,
        CancellationToken cancellationToken)
    {
        // The trainer reports synchronously between steps; the run tracker is asynchronous (and may be a server):
        // a channel hands batches of points to one writer, so a slow server never reorders or blocks training.
        var channel = Channel.CreateUnbounded<MetricPoint[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var writer = Task.Run(async () =>
        {
            await foreach (var batch in channel.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
                await services.Runs.LogMetricsAsync(runId, batch, CancellationToken.None).ConfigureAwait(false);
        }, CancellationToken.None);
        var pending = new List<MetricPoint>();
        var trainer = new CausalLmTrainer(model, options);
        try
        {
            return await trainer.TrainAsync(train, validation, resumeFrom, m =>
            {
                var at = DateTimeOffset.UtcNow;
                pending.Add(new MetricPoint("loss", m.Step, m.Loss, at));
                pending.Add(new MetricPoint("learning_rate", m.Step, m.LearningRate, at));
                pending.Add(new MetricPoint("grad_norm", m.Step, m.GradNorm, at));
                pending.Add(new MetricPoint("tokens_per_second", m.Step, m.TokensPerSecond, at));
                if (m.ValidationLoss is { } vl)
                {
                    pending.Add(new MetricPoint("val_loss", m.Step, vl, at));
                    pending.Add(new MetricPoint("val_perplexity", m.Step, Math.Exp(vl), at));
                }
                if (m.Step % config.LoggingSteps == 0 || m.ValidationLoss is not null || m.Step == options.MaxSteps)
                {
                    // Points between logging steps are thinned to the logging step itself, as HF's logging_steps does.
                    var batch = pending.Where(p => p.Step == m.Step).ToArray();
                    pending.Clear();
                    channel.Writer.TryWrite(batch);
                }
                onProgress?.Invoke(new TrainingJobProgress("training", m.Step, options.MaxSteps, m.Loss, m.ValidationLoss, m.TokensPerSecond));
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            channel.Writer.Complete();
            await writer.ConfigureAwait(false);
        }
    }

    /// <summary>The model to train and its tokenizer: a registered GGUF version, a Hugging Face folder, or a new model for a stored tokenizer.</summary>
    private async Task<StartingPoint> LoadStartingPointAsync(TrainingConfig config, string outputDir, CancellationToken cancellationToken)
    {
        if (config.BaseModel is null)
        {
            var (bpe, runId) = await LoadTokenizerAsync(config, cancellationToken).ConfigureAwait(false);
            var vocabulary = bpe.Vocab.OrderBy(p => p.Value).Select(p => p.Key).ToList();
            var tokenizer = GgufTokenizer.ByteLevelBpe(vocabulary, [.. bpe.Merges.Select(m => m.Left + " " + m.Right)], bpe.SpecialTokens);
            var shape = config.ModelConfig with { VocabSize = vocabulary.Count };
            return new StartingPoint(LlamaForCausalLM.Create(shape, config.Seed), tokenizer, EncoderOf(bpe), null, runId);
        }
        if (config.BaseModelFolder is { } folder)
            return LoadHuggingFaceFolder(config, folder);

        ModelVersion baseVersion;
        try
        {
            baseVersion = await services.Models.ResolveAsync(config.BaseModel, cancellationToken).ConfigureAwait(false);
        }
        catch (LlmOpsException ex) when (ex is NotFoundException or InvalidInputException)
        {
            throw new TrainingConfigException("base_model", config.LineOf("base_model"), ex.Message);
        }
        // A lora version starts from its gguf base with its adapter merged in.
        var ggufVersion = baseVersion;
        if (baseVersion.Format == ModelFormats.Lora)
        {
            ggufVersion = baseVersion.Lineage is { BaseModel: { } baseModel, BaseVersion: { } baseNumber }
                ? await services.Models.GetVersionAsync(baseModel, baseNumber, cancellationToken).ConfigureAwait(false)
                : throw new TrainingConfigException("base_model", config.LineOf("base_model"), $"{baseVersion.Reference} is a LoRA adapter without a base version in its lineage.");
        }
        var path = await DownloadGgufAsync(config, ggufVersion, outputDir, cancellationToken).ConfigureAwait(false);
        var (model, ggufTokenizer) = GgufModelImporter.Load(path);
        try
        {
            if (ggufVersion != baseVersion)
            {
                var adapterPath = await DownloadGgufAsync(config, baseVersion, outputDir, cancellationToken).ConfigureAwait(false);
                var scale = baseVersion.Tags.TryGetValue(LoraScaleTag, out var s) ? float.Parse(s, CultureInfo.InvariantCulture) : 1f;
                try
                {
                    GgufModelImporter.MergeLoraAdapter(model, adapterPath, scale);
                }
                catch (Exception ex) when (ex is InvalidDataException or NotSupportedException or ArgumentException)
                {
                    throw new TrainingConfigException("base_model", config.LineOf("base_model"), $"{baseVersion.Reference} over {ggufVersion.Reference}: {ex.Message}");
                }
            }
            config.CheckSequenceLength(model.Config.ContextLength, $"base model {baseVersion.Reference}");
            if (ggufTokenizer.Model != "gpt2")
                throw new TrainingConfigException("base_model", config.LineOf("base_model"), $"its tokenizer is '{ggufTokenizer.Model}'; only byte-level BPE (gpt2) tokenizers are supported.");
            var ids = ggufTokenizer.Tokens.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i, StringComparer.Ordinal);
            var merges = ggufTokenizer.Merges.Select(m =>
            {
                var space = m.IndexOf(' ', StringComparison.Ordinal);
                return (m[..space], m[(space + 1)..]);
            }).ToList();
            var specials = ggufTokenizer.Tokens.Where((_, i) => ggufTokenizer.TokenTypes[i] == GgufTokenType.Control).ToList();
            return new StartingPoint(model, ggufTokenizer, EncoderOf(new ByteLevelBpe(ids, merges, specials)), baseVersion, null);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The version's .gguf file, downloaded once into output_dir/base.</summary>
    private async Task<string> DownloadGgufAsync(TrainingConfig config, ModelVersion version, string outputDir, CancellationToken cancellationToken)
    {
        var file = version.Format is ModelFormats.Gguf or ModelFormats.Lora
            ? version.Files.FirstOrDefault(f => f.Name.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
            : null;
        if (file is null)
        {
            throw new TrainingConfigException("base_model", config.LineOf("base_model"),
                $"{version.Reference} is a '{version.Format}' version without a .gguf file; training starts from gguf and lora versions.");
        }
        var path = Path.Combine(outputDir, "base", file.Sha256[..16] + ".gguf");
        if (!File.Exists(path))
            await services.DownloadToFileAsync(file.Sha256, path, cancellationToken).ConfigureAwait(false);
        return path;
    }

    /// <summary>A Hugging Face folder: config.json and safetensors weights, and tokenizer.json through Hugging Face's tokenizer library.</summary>
    private static StartingPoint LoadHuggingFaceFolder(TrainingConfig config, string folder)
    {
        var line = config.LineOf("base_model");
        LlamaForCausalLM model;
        try
        {
            model = HuggingFaceCheckpoint.Load(folder);
        }
        catch (Exception ex) when (ex is InvalidDataException or NotSupportedException or ArgumentException or IOException or System.Text.Json.JsonException or InvalidOperationException)
        {
            throw new TrainingConfigException("base_model", line, $"{folder}: {ex.Message}");
        }
        HuggingFaceTokenizer? tokenizer = null;
        try
        {
            config.CheckSequenceLength(model.Config.ContextLength, $"base model {folder}");
            GgufTokenizer gguf;
            try
            {
                tokenizer = HuggingFaceTokenizer.Load(folder);
                var (bos, eos) = HuggingFaceCheckpoint.ReadSpecialTokenIds(folder);
                gguf = tokenizer.ToGguf(bos, eos);
            }
            catch (InvalidInputException ex)
            {
                throw new TrainingConfigException("base_model", line, ex.Message);
            }
            if (gguf.Tokens.Count > model.Config.VocabSize)
            {
                throw new TrainingConfigException("base_model", line,
                    $"{tokenizer.Path} has {gguf.Tokens.Count} tokens but the model in {folder} only {model.Config.VocabSize} embeddings.");
            }
            return new StartingPoint(model, gguf, tokenizer.Encode, null, null, folder, tokenizer);
        }
        catch
        {
            tokenizer?.Dispose();
            model.Dispose();
            throw;
        }
    }

    private static Func<string, IReadOnlyList<int>> EncoderOf(ByteLevelBpe bpe)
    {
        var tokenizer = bpe.CreateTokenizer();
        return text => tokenizer.EncodeToIds(text);
    }

    private async Task<(ByteLevelBpe Bpe, string RunId)> LoadTokenizerAsync(TrainingConfig config, CancellationToken cancellationToken)
    {
        try
        {
            return await TokenizerJob.LoadAsync(services, config.Tokenizer!, cancellationToken).ConfigureAwait(false);
        }
        catch (LlmOpsException ex) when (ex is NotFoundException or InvalidInputException)
        {
            throw new TrainingConfigException("tokenizer", config.LineOf("tokenizer"), ex.Message + " Train one with 'llmops tokenizer train'.");
        }
    }

    private async Task<PackedTokenDataset?> BuildAsync(TrainingConfig config, IReadOnlyList<DatasetVersion> datasets, string splitName, ExampleBuilder builder, CancellationToken cancellationToken)
    {
        var examples = new List<TrainingExample>();
        for (var i = 0; i < datasets.Count; i++)
        {
            if (DatasetRecords.Split(datasets[i], splitName) is not { } split)
                continue;
            await foreach (var record in DatasetRecords.ReadAsync(services, split, cancellationToken).ConfigureAwait(false))
            {
                config.CheckShape(i, record.Shape);
                examples.Add(builder.Build(record));
            }
        }
        if (examples.Count == 0 || examples.All(e => e.LossMask is { } mask && !mask.Contains(true)))
            return null;
        // Prompt/completion and chat examples stay whole inside a window; plain text packs freely.
        var aligned = config.Datasets.Any(d => d.Type != DatasetType.Completion);
        return new PackedTokenDataset(examples, config.SequenceLen, alignExamples: aligned);
    }

    /// <summary>The step in a checkpoint's name (<see cref="TrainingCheckpoint.FileName"/>): reading the file itself would load it twice.</summary>
    private static int StepOf(string checkpoint)
    {
        var name = Path.GetFileNameWithoutExtension(checkpoint);
        return int.Parse(name[(name.LastIndexOf('-') + 1)..], NumberStyles.None, CultureInfo.InvariantCulture);
    }
}

/// <summary>The model a job starts from, its tokenizer (as GGUF stores it and as an encoder), and where it came from
/// (a registered version, a Hugging Face folder, or a stored tokenizer); disposing it disposes the model and the encoder.</summary>
internal sealed record StartingPoint(
    LlamaForCausalLM Model,
    GgufTokenizer Tokenizer,
    Func<string, IReadOnlyList<int>> Encode,
    ModelVersion? Base,
    string? TokenizerRunId,
    string? BaseFolder = null,
    IDisposable? Encoder = null) : IDisposable
{
    public void Dispose()
    {
        Encoder?.Dispose();
        Model.Dispose();
    }
}
