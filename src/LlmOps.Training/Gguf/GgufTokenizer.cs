using System.Globalization;

namespace LlmOps.Training.Gguf;

/// <summary>The tokenizer as GGUF stores it (tokenizer.ggml.*): tokens by id, their types, BPE merges and the bos/eos ids.</summary>
public sealed record GgufTokenizer
{
    /// <summary>The end-of-text token; llama.cpp recognises end of generation by this text.</summary>
    public const string EndOfText = "<|endoftext|>";

    public required IReadOnlyList<string> Tokens { get; init; }
    public required IReadOnlyList<GgufTokenType> TokenTypes { get; init; }

    /// <summary>Merges as "left right", highest priority first.</summary>
    public required IReadOnlyList<string> Merges { get; init; }

    public required int BosTokenId { get; init; }
    public required int EosTokenId { get; init; }
    public string Model { get; init; } = "gpt2";
    public string PreTokenizer { get; init; } = "gpt-2";

    /// <summary>
    /// A byte-level BPE tokenizer (GPT-2 style) from its vocabulary (token text by id), merges and special tokens;
    /// special tokens become control tokens, bos and eos default to <see cref="EndOfText"/>.
    /// </summary>
    public static GgufTokenizer ByteLevelBpe(
        IReadOnlyList<string> vocabulary,
        IReadOnlyList<string> merges,
        IEnumerable<string> specialTokens,
        string bosToken = EndOfText,
        string eosToken = EndOfText)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(merges);
        var specials = new HashSet<string>(specialTokens, StringComparer.Ordinal);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < vocabulary.Count; i++)
        {
            if (!ids.TryAdd(vocabulary[i], i))
                throw new ArgumentException(string.Format(CultureInfo.InvariantCulture, "Token '{0}' appears twice in the vocabulary.", vocabulary[i]), nameof(vocabulary));
        }
        foreach (var special in specials)
        {
            if (!ids.ContainsKey(special))
                throw new ArgumentException(string.Format(CultureInfo.InvariantCulture, "Special token '{0}' is not in the vocabulary.", special), nameof(specialTokens));
        }
        int Id(string token) => ids.TryGetValue(token, out var id)
            ? id
            : throw new ArgumentException(string.Format(CultureInfo.InvariantCulture, "Token '{0}' is not in the vocabulary.", token));
        return new GgufTokenizer
        {
            Tokens = vocabulary,
            TokenTypes = [.. vocabulary.Select(t => specials.Contains(t) ? GgufTokenType.Control : GgufTokenType.Normal)],
            Merges = merges,
            BosTokenId = Id(bosToken),
            EosTokenId = Id(eosToken),
        };
    }

    /// <summary>Extends the vocabulary to <paramref name="vocabSize"/> with unused "[PADn]" tokens, as the model's embedding may be larger.</summary>
    public GgufTokenizer PaddedTo(int vocabSize)
    {
        if (vocabSize < Tokens.Count)
        {
            throw new ArgumentException(string.Format(CultureInfo.InvariantCulture,
                "The tokenizer has {0} tokens but the model only {1} embeddings.", Tokens.Count, vocabSize), nameof(vocabSize));
        }
        if (vocabSize == Tokens.Count)
            return this;
        var extra = Enumerable.Range(Tokens.Count, vocabSize - Tokens.Count).Select(i => string.Format(CultureInfo.InvariantCulture, "[PAD{0}]", i)).ToArray();
        return this with
        {
            Tokens = [.. Tokens, .. extra],
            TokenTypes = [.. TokenTypes, .. extra.Select(_ => GgufTokenType.Unused)],
        };
    }
}
