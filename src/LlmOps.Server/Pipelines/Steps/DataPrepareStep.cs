using System.Security.Cryptography;
using System.Text;
using LlmOps.DataPrep;
using LlmOps.DataPrep.Ingest;
using LlmOps.DataPrep.Recipes;
using LlmOps.Datasets;
using LlmOps.Pipelines;
using LlmOps.Registry;
using StepOutcome = LlmOps.Pipelines.StepOutcome;

namespace LlmOps.Server.Pipelines.Steps;

/// <summary><c>data.prepare</c>: runs a recipe over input files and registers the dataset version. Its cache key covers the
/// bytes of the recipe and of every input file, so editing any of them re-runs it.</summary>
public sealed class DataPrepareStep(PlatformServices platform) : IPipelineStep
{
    public string Type => "data.prepare";
    public bool Cacheable => true;

    public async Task<string> CacheKeyContentAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var text = new StringBuilder(DatasetPreparer.FormatVersion).Append('\n');
        text.Append("recipe ").Append(await HashFileAsync(context.Input("recipe"), cancellationToken)).Append('\n');
        foreach (var source in SourceFile.Resolve(context.ListInput("input")))
            text.Append(source.Name).Append(' ').Append(await HashFileAsync(source.Path, cancellationToken)).Append('\n');
        return text.ToString();
    }

    public async Task<StepOutcome> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var recipePath = Path.GetFullPath(context.Input("recipe"));
        var inputs = context.ListInput("input");
        var name = context.Input("name");
        ModelRegistry.ValidateName(name, $"steps.{context.StepId}.with.name");
        var output = Path.Combine(context.WorkDirectory, "prepared");
        if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        var prepared = await new DatasetPreparer().PrepareAsync(inputs, Recipe.Load(recipePath), output, new PrepareOptions
        {
            SkipInvalid = context.OptionalInput("skip_invalid") is "true",
            RecipeDirectory = Path.GetDirectoryName(recipePath),
            Threads = Math.Max(1, Environment.ProcessorCount),
        }, cancellationToken);
        var files = new List<ArtifactFile>();
        foreach (var path in Directory.EnumerateFiles(output).Order(StringComparer.Ordinal))
        {
            await using var stream = File.OpenRead(path);
            var blob = await platform.Artifacts.PutAsync(stream, cancellationToken);
            files.Add(new ArtifactFile(Path.GetFileName(path), blob.Sha256, blob.Size));
        }
        var version = await platform.Datasets(context.Actor).RegisterAsync(new RegisterDataset(name, files), cancellationToken);
        context.Log($"dataset {name} version {version.Id}: {version.Records} records ({string.Join(", ", version.Splits.Select(s => $"{s.Name} {s.Records}"))})");
        return new StepOutcome(new Dictionary<string, string>
        {
            ["dataset_version"] = version.Id,
            ["records"] = version.Records.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    internal static async Task<string> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path)) throw new InvalidInputException("input", $"{Path.GetFullPath(path)} does not exist.");
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }
}
