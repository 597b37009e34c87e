using System.Text.RegularExpressions;

namespace LlmOps.Evaluation;

/// <summary>Renders <c>{{var}}</c> placeholders (promptfoo's Nunjucks subset: plain names, optional spaces).</summary>
public static partial class PromptTemplate
{
    /// <summary>The variable names a template uses, in order of first use.</summary>
    public static IReadOnlyList<string> Variables(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        return Placeholder().Matches(template).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Replaces every placeholder; throws <see cref="KeyNotFoundException"/> naming a missing variable.</summary>
    public static string Render(string template, IReadOnlyDictionary<string, string> vars)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(vars);
        return Placeholder().Replace(template, m => vars.TryGetValue(m.Groups[1].Value, out var value)
            ? value
            : throw new KeyNotFoundException($"no variable '{m.Groups[1].Value}'"));
    }

    [GeneratedRegex(@"\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}")]
    private static partial Regex Placeholder();
}
