using System.Globalization;
using System.Text;
using System.Text.Json;
using LlmOps.DataPrep;
using LlmOps.Registry;
using LlmOps.Runs;
using LlmOps.Storage;
using LlmOps.Tokenizers;

namespace LlmOps.Training.Jobs;

/// <summary>Token counts of one dataset split under a trained tokenizer.</summary>
public sealed record TokenizerSplitStats(string Split, long Records, long Tokens, long Bytes)
{
    public double TokensPerRecord => Records == 0 ? 0 : (double)Tokens / Records;

    /// <summary>UTF-8 bytes per token: the compression the merges achieve (1.0 = bytes only).</summary>
    public double BytesPerToken => Tokens == 0 ? 0 : (double)Bytes / Tokens;
}

/// <summary>A tokenizer stored by <see cref="TokenizerJob.TrainAsync"/>.</summary>
public sealed record TrainedTokenizer(string RunId, string Name, string DatasetVersion, int VocabSize, string Fingerprint, IReadOnlyList<string> SpecialTokens, IReadOnlyList<TokenizerSplitStats> Splits);

/// <summary>
/// Trains a byte-level BPE on a dataset version's train split and stores it as the artifacts of a run in the
/// <see cref="Experiment"/> experiment; training jobs find it by that run's id or by its name.
/// </summary>
/// <remarks>
/// Why a run and not a registry of its own: a tokenizer is what one tracked execution made from one dataset version,
/// with parameters (vocab size, special tokens) and measurements (tokens per split): exactly what a run records,
/// with lineage to the dataset in its parameters. A dedicated registry would need its own tables in both stores,
/// API endpoints and client methods for four small files; runs already have all of that, locally and through a server.
/// </remarks>
public static class TokenizerJob
{
    /// <summary>The experiment that holds tokenizer runs.</summary>
    public const string Experiment = "tokenizers";

    /// <summary>A small Hugging Face style tokenizer_config.json next to vocab.json and merges.txt.</summary>
    public const string ConfigFileName = "tokenizer_config.json";

    private static readonly string[] FileNames = [ByteLevelBpe.VocabFileName, ByteLevelBpe.MergesFileName, ByteLevelBpe.SpecialTokensFileName, ConfigFileName];

    /// <summary>Trains, stores and measures a tokenizer; the run ends Finished, or Failed if anything goes wrong.</summary>
    public static async Task<TrainedTokenizer> TrainAsync(
        TrainingServices services,
        string datasetId,
        int vocabSize,
        IReadOnlyList<string> specialTokens,
        string name,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(specialTokens);
        ModelRegistry.ValidateName(name, "--name");
        // <|endoftext|> first: llama.cpp recognises end of generation by that text, and exports use it as bos/eos.
        var specials = new List<string> { Gguf.GgufTokenizer.EndOfText };
        specials.AddRange(specialTokens.Where(s => s != Gguf.GgufTokenizer.EndOfText).Distinct(StringComparer.Ordinal));
        if (vocabSize < specials.Count + 256)
            throw new InvalidInputException("--vocab-size", $"must be at least {specials.Count + 256} (the special tokens and the 256 bytes).");
        var dataset = await services.Datasets.GetAsync(datasetId, cancellationToken).ConfigureAwait(false);
        var train = DatasetRecords.Split(dataset, "train")
            ?? throw new InvalidInputException("--dataset", $"dataset version {dataset.Id[..12]} has no train split.");

        var run = await services.Runs.StartRunAsync(new StartRun(Experiment, name, Params: new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["dataset_version"] = dataset.Id,
            ["vocab_size"] = vocabSize.ToString(CultureInfo.InvariantCulture),
            ["special_tokens"] = string.Join(" ", specials),
        }, Tags: new Dictionary<string, string>(StringComparer.Ordinal) { ["kind"] = "tokenizer" }), cancellationToken).ConfigureAwait(false);
        var work = Path.Combine(Path.GetTempPath(), $"llmops-tokenizer-{Guid.NewGuid():N}");
        try
        {
            var trainer = new ByteLevelBpeTrainer(new BpeTrainerOptions { VocabSize = vocabSize, SpecialTokens = specials });
            var bpe = await trainer.TrainAsync(Texts(services, train, cancellationToken), cancellationToken).ConfigureAwait(false);
            await bpe.SaveAsync(work, cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(work, ConfigFileName), ConfigJson(bpe, dataset.Id), cancellationToken).ConfigureAwait(false);
            foreach (var file in FileNames)
            {
                var artifact = await services.UploadFileAsync(Path.Combine(work, file), file, cancellationToken).ConfigureAwait(false);
                await services.Runs.LogArtifactAsync(run.Id, file, artifact.Sha256, cancellationToken).ConfigureAwait(false);
            }

            var tokenizer = bpe.CreateTokenizer();
            var stats = new List<TokenizerSplitStats>();
            foreach (var split in dataset.Splits)
            {
                long records = 0, tokens = 0, bytes = 0;
                await foreach (var record in DatasetRecords.ReadAsync(services, split, cancellationToken).ConfigureAwait(false))
                {
                    records++;
                    foreach (var text in record.TextFields())
                    {
                        tokens += tokenizer.CountTokens(text);
                        bytes += Encoding.UTF8.GetByteCount(text);
                    }
                }
                stats.Add(new TokenizerSplitStats(split.Name, records, tokens, bytes));
            }
            var now = DateTimeOffset.UtcNow;
            await services.Runs.LogMetricsAsync(run.Id, [
                new MetricPoint("vocab_size", 0, bpe.VocabSize, now),
                .. stats.SelectMany(s => new[]
                {
                    new MetricPoint($"{s.Split}_tokens", 0, s.Tokens, now),
                    new MetricPoint($"{s.Split}_bytes_per_token", 0, s.BytesPerToken, now),
                }),
            ], cancellationToken).ConfigureAwait(false);
            await services.Runs.EndRunAsync(run.Id, RunStatus.Finished, cancellationToken).ConfigureAwait(false);
            return new TrainedTokenizer(run.Id, name, dataset.Id, bpe.VocabSize, bpe.Fingerprint(), specials, stats);
        }
        catch (Exception ex)
        {
            await services.Runs.EndRunAsync(run.Id, ex is OperationCanceledException ? RunStatus.Killed : RunStatus.Failed, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        finally
        {
            if (Directory.Exists(work))
                Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// Loads a stored tokenizer by its run id (or a prefix of it) or by name (the newest finished tokenizer run of that name).
    /// </summary>
    public static async Task<(ByteLevelBpe Tokenizer, string RunId)> LoadAsync(TrainingServices services, string reference, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(reference);
        var runs = await services.Runs.ListRunsAsync(new RunQuery(Experiment, RunStatus.Finished, Limit: 1000), cancellationToken).ConfigureAwait(false);
        var run = runs.FirstOrDefault(r => r.Id == reference)
            ?? runs.Where(r => r.Name == reference).OrderByDescending(r => r.StartedAt).FirstOrDefault()
            ?? runs.SingleOrDefault(r => reference.Length >= 8 && r.Id.StartsWith(reference, StringComparison.Ordinal))
            ?? throw new NotFoundException("tokenizer", reference);
        var details = await services.Runs.GetRunAsync(run.Id, cancellationToken).ConfigureAwait(false);
        var work = Path.Combine(Path.GetTempPath(), $"llmops-tokenizer-{Guid.NewGuid():N}");
        try
        {
            foreach (var file in FileNames)
            {
                var artifact = details.Artifacts.FirstOrDefault(a => a.Name == file)
                    ?? throw new InvalidInputException("tokenizer", $"run {run.Id} has no {file}: it is not a tokenizer run.");
                await services.DownloadToFileAsync(artifact.Sha256, Path.Combine(work, file), cancellationToken).ConfigureAwait(false);
            }
            return (await ByteLevelBpe.LoadAsync(work, cancellationToken).ConfigureAwait(false), run.Id);
        }
        finally
        {
            if (Directory.Exists(work))
                Directory.Delete(work, recursive: true);
        }
    }

    private static async IAsyncEnumerable<string> Texts(TrainingServices services, Datasets.DatasetSplit split, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var record in DatasetRecords.ReadAsync(services, split, cancellationToken).ConfigureAwait(false))
        {
            foreach (var text in record.TextFields())
                yield return text;
        }
    }

    private static string ConfigJson(ByteLevelBpe bpe, string datasetId) =>
        JsonSerializer.Serialize(new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["tokenizer_class"] = "GPT2Tokenizer",
            ["model_type"] = "byte_level_bpe",
            ["vocab_size"] = bpe.VocabSize,
            ["bos_token"] = Gguf.GgufTokenizer.EndOfText,
            ["eos_token"] = Gguf.GgufTokenizer.EndOfText,
            ["additional_special_tokens"] = bpe.SpecialTokens,
            ["add_bos_token"] = false,
            ["fingerprint"] = bpe.Fingerprint(),
            ["dataset_version"] = datasetId,
        }, new JsonSerializerOptions { WriteIndented = true }) + "\n";
}
