namespace LlmOps;

/// <summary>Checks shared by several inputs: tags, metrics, parameters.</summary>
internal static class Validation
{
    public static void Tags(IReadOnlyDictionary<string, string>? tags, string field = "tags")
    {
        if (tags is null) return;
        if (tags.Count > 100) throw new InvalidInputException(field, "at most 100 entries.");
        foreach (var (key, value) in tags)
        {
            if (string.IsNullOrWhiteSpace(key) || key.Length > 250)
                throw new InvalidInputException(field, $"key '{key}' must be 1-250 characters.");
            if (value is null || value.Length > 5000)
                throw new InvalidInputException($"{field}.{key}", "value must be present and at most 5000 characters.");
        }
    }

    public static void Metrics(IReadOnlyDictionary<string, double>? metrics, string field = "metrics")
    {
        if (metrics is null) return;
        foreach (var (key, value) in metrics)
        {
            if (string.IsNullOrWhiteSpace(key) || key.Length > 250)
                throw new InvalidInputException(field, $"metric name '{key}' must be 1-250 characters.");
            if (!double.IsFinite(value))
                throw new InvalidInputException($"{field}.{key}", "value must be a finite number.");
        }
    }
}
