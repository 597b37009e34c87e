using System.Text.RegularExpressions;

namespace LlmOps.Tokenizers;

/// <summary>The GPT-2 pre-tokenizer pattern (contractions, letters, numbers, punctuation, spaces), as llama.cpp's gpt2 pre-tokenizer uses.</summary>
public static partial class Gpt2PreTokenizer
{
    public const string Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>The compiled pattern.</summary>
    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant)]
    public static partial Regex Regex { get; }

    /// <summary>Counts pre-tokens (a cheap stand-in for a token count when no tokenizer is given).</summary>
    public static int Count(string text) => Regex.Count(text);

    /// <summary>Splits text into pre-tokens.</summary>
    public static IEnumerable<string> Split(string text) => Regex.Matches(text).Select(m => m.Value);
}
