using System.Text.Json;
using LlmOps.DataPrep.Cleaning;
using LlmOps.DataPrep.Decontamination;
using LlmOps.DataPrep.Dedup;
using LlmOps.DataPrep.Filters;
using LlmOps.DataPrep.Ingest;
using LlmOps.DataPrep.Pii;

namespace LlmOps.DataPrep.Recipes;

/// <summary>Creates fresh step instances (dedupe state starts empty) from a recipe's step definitions.</summary>
public static class RecipeStepFactory
{
    /// <summary>Creates the steps; eval files are read now and returned with their hashes for the manifest.</summary>
    public static (IReadOnlyList<IRecipeStep> Steps, IReadOnlyList<SourceFileHash> EvalFiles) Create(Recipe recipe, ITokenCounter tokens, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        var steps = new List<IRecipeStep>();
        var evalFiles = new List<SourceFileHash>();
        foreach (var definition in recipe.Steps)
        {
            steps.Add(definition.Options switch
            {
                TextCleaningOptions o => new TextCleaning(o),
                LengthFilterOptions o => new LengthFilter(o, tokens),
                RepetitionFilterOptions o => new RepetitionFilter(o),
                SymbolRatioFilterOptions o => new SymbolRatioFilter(o),
                NearDeduplicationOptions o => new NearDeduplication(o),
                PiiRedactionOptions o => new PiiRedaction(o),
                DecontaminationSettings o => CreateDecontamination(o, baseDirectory, evalFiles),
                _ when definition.Name == ChatTurnFilter.StepName => new ChatTurnFilter(),
                _ when definition.Name == ExactDeduplication.StepName => new ExactDeduplication(),
                _ => throw new RecipeException($"step '{definition.Name}' has no implementation", definition.Line),
            });
        }
        return (steps, evalFiles);
    }

    private static Decontamination.Decontamination CreateDecontamination(DecontaminationSettings settings, string baseDirectory, List<SourceFileHash> hashes)
    {
        var texts = new List<string>();
        foreach (var file in settings.EvalFiles)
        {
            var path = Path.GetFullPath(file, baseDirectory);
            if (!File.Exists(path))
                throw new DataPrepException($"decontaminate: eval file not found: {file}");
            var bytes = File.ReadAllBytes(path);
            hashes.Add(new SourceFileHash(file.Replace('\\', '/'), bytes.Length, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))));
            try
            {
                texts.AddRange(EvalTexts(path, bytes));
            }
            catch (JsonException ex)
            {
                throw new DataPrepException($"decontaminate: eval file {file} line {(ex.LineNumber ?? 0) + 1}: bad JSON: {ex.Message}", ex);
            }
        }
        return new Decontamination.Decontamination(settings.Options, texts);
    }

    /// <summary>The texts of an eval file: every string value of each JSON line, or each line of a text file.</summary>
    internal static IEnumerable<string> EvalTexts(string path, byte[] bytes)
    {
        var text = System.Text.Encoding.UTF8.GetString(bytes);
        var lines = text.Split('\n', StringSplitOptions.TrimEntries);
        if (SourceFile.DetectFormat(path) != SourceFormat.Jsonl)
            return lines.Where(l => l.Length > 0);
        var result = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
                continue;
            try
            {
                using var doc = JsonDocument.Parse(lines[i]);
                Collect(doc.RootElement, result);
            }
            catch (JsonException ex)
            {
                throw new JsonException(ex.Message, null, i, ex.BytePositionInLine, ex);
            }
        }
        return result;

        static void Collect(JsonElement e, List<string> into)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.String:
                    into.Add(e.GetString()!);
                    break;
                case JsonValueKind.Object:
                    foreach (var p in e.EnumerateObject())
                        Collect(p.Value, into);
                    break;
                case JsonValueKind.Array:
                    foreach (var item in e.EnumerateArray())
                        Collect(item, into);
                    break;
                default:
                    break;
            }
        }
    }
}
