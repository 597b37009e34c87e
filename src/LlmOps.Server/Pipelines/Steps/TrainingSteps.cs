using System.Globalization;
using LlmOps.Pipelines;
using LlmOps.Runs;
using LlmOps.Storage;
using LlmOps.Training.Jobs;

namespace LlmOps.Server.Pipelines.Steps;

/// <summary><c>train</c>: runs a training config (axolotl keys) and registers the model version. Inputs override the config:
/// <c>dataset</c> (every datasets[].path), <c>base_model</c>, <c>tokenizer</c>, <c>name</c> (register_as), <c>max_steps</c>.
/// Checkpoints go to the step's work folder, so a retried attempt resumes from the last one.</summary>
public sealed class TrainStep(PlatformServices platform) : IPipelineStep
{
    public string Type => "train";
    public bool Cacheable => true;

    public async Task<string> CacheKeyContentAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return "train/1 " + await DataPrepareStep.HashFileAsync(context.Input("config"), cancellationToken);
    }

    public async Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var config = TrainingConfigParser.Load(context.Input("config"), config =>
        {
            if (context.OptionalInput("dataset") is { } dataset)
            {
                for (var i = 0; i < config.Datasets.Count; i++) config.Datasets[i] = config.Datasets[i] with { Path = dataset };
            }
            if (context.OptionalInput("base_model") is { } baseModel) config.BaseModel = baseModel;
            if (context.OptionalInput("tokenizer") is { } tokenizer) config.Tokenizer = tokenizer;
            if (context.OptionalInput("name") is { } name) config.RegisterAs = name;
            if (context.OptionalInput("max_steps") is { } maxSteps)
                config.MaxSteps = int.TryParse(maxSteps, NumberStyles.Integer, CultureInfo.InvariantCulture, out var steps) && steps > 0
                    ? steps : throw new InvalidInputException($"steps.{context.StepId}.with.max_steps", $"'{maxSteps}' is not a positive integer.");
        });
        config.OutputDir = Path.Combine(context.WorkDirectory, "output");
        var resume = Directory.Exists(Path.Combine(config.OutputDir, "checkpoints")) && Directory.EnumerateFileSystemEntries(Path.Combine(config.OutputDir, "checkpoints")).Any();
        if (resume) context.Log("resuming from the last checkpoint of an earlier attempt");

        var services = TrainingServicesFor(platform, context);
        var lastLogged = -1;
        // TorchSharp's dispose scopes are per thread: the whole job runs on one thread of its own.
        var result = await Task.Factory.StartNew(() => new TrainingJob(services).RunAsync(config, resume, progress =>
        {
            if (progress.Phase != "training" || progress.Step - lastLogged < 10 && progress.Step != progress.MaxSteps)
            {
                if (progress.Phase != "training") context.Log(progress.Phase);
                return;
            }
            lastLogged = progress.Step;
            context.Log(string.Create(CultureInfo.InvariantCulture, $"step {progress.Step}/{progress.MaxSteps} loss {progress.Loss:0.0000} {progress.TokensPerSecond:0} tok/s"));
        }, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

        var outputs = new Dictionary<string, string>
        {
            ["model_version"] = result.Version.Reference,
            ["run_id"] = result.RunId,
            ["val_loss"] = result.Training.ValidationLoss?.ToString("R", CultureInfo.InvariantCulture) ?? "",
        };
        context.Log($"registered {result.Version.Reference} (run {result.RunId})");
        return new StepOutcome(outputs);
    }

    internal static TrainingServices TrainingServicesFor(PlatformServices platform, StepContext context) =>
        new(platform.Datasets(context.Actor), platform.Models(context.Actor), platform.Runs(context.Actor), platform.Artifacts.PutAsync,
            (sha256, _) => Task.FromResult(platform.Artifacts.OpenRead(sha256)));
}

/// <summary><c>tokenizer.train</c>: trains a byte-level BPE tokenizer on a dataset version and stores it as a run's artifacts.</summary>
public sealed class TokenizerTrainStep(PlatformServices platform) : IPipelineStep
{
    public string Type => "tokenizer.train";
    public bool Cacheable => true;

    public Task<string> CacheKeyContentAsync(StepContext context, CancellationToken cancellationToken) => Task.FromResult("tokenizer.train/1");

    /// <remarks>With <c>reuse: "true"</c> a tokenizer is trained only if none of that name exists yet ("tokenizer if none"): continuous
    /// training on each new dataset version then keeps the vocabulary its models were trained with, so a LoRA on the PROD model still fits.</remarks>
    public async Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var name = context.Input("name");
        var reuse = context.OptionalInput("reuse") switch
        {
            null or "" or "false" => false,
            "true" => true,
            var other => throw new InvalidInputException($"steps.{context.StepId}.with.reuse", $"'{other}' is not true or false."),
        };
        if (reuse)
        {
            var runs = await platform.Runs(context.Actor).ListRunsAsync(new RunQuery(TokenizerJob.Experiment, RunStatus.Finished, Limit: 1000), cancellationToken);
            if (runs.Where(r => r.Name == name && r.Tags.GetValueOrDefault("kind") == "tokenizer").OrderByDescending(r => r.StartedAt).FirstOrDefault() is { } existing)
            {
                context.Log($"tokenizer {name} exists (run {existing.Id}, trained on {existing.Params.GetValueOrDefault("dataset_version", "?")}); reusing it");
                return new StepOutcome(new Dictionary<string, string> { ["tokenizer"] = existing.Id, ["reused"] = "true" });
            }
        }
        var vocab = context.Input("vocab_size");
        if (!int.TryParse(vocab, NumberStyles.Integer, CultureInfo.InvariantCulture, out var vocabSize))
            throw new InvalidInputException($"steps.{context.StepId}.with.vocab_size", $"'{vocab}' is not an integer.");
        var specials = (context.OptionalInput("special_tokens") ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var trained = await TokenizerJob.TrainAsync(TrainStep.TrainingServicesFor(platform, context), context.Input("dataset"), vocabSize, specials, name, cancellationToken);
        context.Log($"tokenizer {trained.Name}: vocab {trained.VocabSize}, run {trained.RunId}");
        return new StepOutcome(new Dictionary<string, string> { ["tokenizer"] = trained.RunId, ["reused"] = "false" });
    }
}
