using LlmOps.Tokenizers;
using Microsoft.ML.Tokenizers;

namespace LlmOps.DataPrep;

/// <summary>Counts tokens for length filters and per-split statistics; must be thread-safe.</summary>
public interface ITokenCounter
{
    /// <summary>A stable description, recorded in the manifest (changing the counter changes the version).</summary>
    string Name { get; }

    int Count(string text);
}

/// <summary>Counts GPT-2 pre-tokens: the default when no trained tokenizer is given.</summary>
public sealed class PreTokenCounter : ITokenCounter
{
    public static PreTokenCounter Instance { get; } = new();

    public string Name => "gpt2-pretokens";

    public int Count(string text) => Gpt2PreTokenizer.Count(text);
}

/// <summary>Counts tokens with a Microsoft.ML.Tokenizers tokenizer (for example a trained byte-level BPE).</summary>
public sealed class TokenizerTokenCounter(Tokenizer tokenizer, string name) : ITokenCounter
{
    public string Name => name;

    public int Count(string text) => tokenizer.CountTokens(text);
}
