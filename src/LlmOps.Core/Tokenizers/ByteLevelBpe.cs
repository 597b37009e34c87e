using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace LlmOps.Tokenizers;

/// <summary>
/// A trained byte-level BPE vocabulary: tokens with ids, ordered merges and special tokens, saved in the GPT-2
/// layout (vocab.json + merges.txt) and loaded into Microsoft.ML.Tokenizers the way that matches llama.cpp.
/// </summary>
public sealed class ByteLevelBpe
{
    public const string VocabFileName = "vocab.json";
    public const string MergesFileName = "merges.txt";
    public const string SpecialTokensFileName = "special_tokens.json";

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<(string, string), int> _mergeRanks;

    public ByteLevelBpe(IReadOnlyDictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> merges, IReadOnlyList<string> specialTokens)
    {
        ArgumentNullException.ThrowIfNull(vocab);
        ArgumentNullException.ThrowIfNull(merges);
        ArgumentNullException.ThrowIfNull(specialTokens);
        _vocab = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        Merges = merges;
        SpecialTokens = specialTokens;
        _mergeRanks = new Dictionary<(string, string), int>();
        for (var i = 0; i < merges.Count; i++)
            _mergeRanks.TryAdd(merges[i], i);
        foreach (var special in specialTokens)
        {
            if (!_vocab.ContainsKey(special))
                throw new ArgumentException($"special token '{special}' is not in the vocabulary", nameof(specialTokens));
        }
    }

    public IReadOnlyDictionary<string, int> Vocab => _vocab;

    public IReadOnlyList<(string Left, string Right)> Merges { get; }

    public IReadOnlyList<string> SpecialTokens { get; }

    public int VocabSize => _vocab.Count;

    /// <summary>Special tokens with their ids.</summary>
    public IReadOnlyDictionary<string, int> SpecialTokenIds => SpecialTokens.ToDictionary(t => t, t => _vocab[t], StringComparer.Ordinal);

    /// <summary>SHA-256 of vocab.json and merges.txt contents: names this tokenizer in manifests.</summary>
    public string Fingerprint()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(VocabJson());
        hash.AppendData(Encoding.UTF8.GetBytes(MergesText()));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Writes vocab.json, merges.txt (with the "#version: 0.2" header) and special_tokens.json.</summary>
    public async Task SaveAsync(string directory, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(directory);
        await File.WriteAllBytesAsync(Path.Combine(directory, VocabFileName), VocabJson(), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(directory, MergesFileName), MergesText(), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(directory, SpecialTokensFileName), JsonSerializer.Serialize(SpecialTokens) + "\n", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads what <see cref="SaveAsync"/> wrote.</summary>
    public static async Task<ByteLevelBpe> LoadAsync(string directory, CancellationToken cancellationToken = default)
    {
        var vocabStream = File.OpenRead(Path.Combine(directory, VocabFileName));
        Dictionary<string, int> vocab;
        await using (vocabStream.ConfigureAwait(false))
            vocab = await JsonSerializer.DeserializeAsync<Dictionary<string, int>>(vocabStream, cancellationToken: cancellationToken).ConfigureAwait(false) ?? [];
        var merges = (await File.ReadAllLinesAsync(Path.Combine(directory, MergesFileName), cancellationToken).ConfigureAwait(false))
            .Where(l => l.Length > 0 && !l.StartsWith("#version", StringComparison.Ordinal))
            .Select(l =>
            {
                var space = l.IndexOf(' ', StringComparison.Ordinal);
                return (l[..space], l[(space + 1)..]);
            })
            .ToList();
        var specialPath = Path.Combine(directory, SpecialTokensFileName);
        var special = File.Exists(specialPath)
            ? JsonSerializer.Deserialize<List<string>>(await File.ReadAllTextAsync(specialPath, cancellationToken).ConfigureAwait(false)) ?? []
            : [];
        return new ByteLevelBpe(vocab, merges, special);
    }

    /// <summary>
    /// A Microsoft.ML.Tokenizers tokenizer for this vocabulary: <see cref="BpeTokenizer.Create(BpeOptions)"/> with
    /// ByteLevel on, the merges, the special tokens and the GPT-2 regex pre-tokenizer (the combination whose ids
    /// match llama.cpp's gpt2 tokenizer; the file-based and default paths do not).
    /// </summary>
    public Tokenizer CreateTokenizer()
    {
        var special = SpecialTokenIds.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var options = new BpeOptions(_vocab.OrderBy(p => p.Value).Select(p => new KeyValuePair<string, int>(p.Key, p.Value)))
        {
            Merges = Merges.Select(m => m.Left + " " + m.Right).ToList(),
            SpecialTokens = special,
            PreTokenizer = new RegexPreTokenizer(Gpt2PreTokenizer.Regex, special.Count > 0 ? special : null),
            ByteLevel = true,
        };
        return BpeTokenizer.Create(options);
    }

    /// <summary>Reference encoder (lowest-rank merge first, as GPT-2); used to check the trained files and the loaded tokenizer agree.</summary>
    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        foreach (var (piece, isSpecial) in SplitSpecial(text))
        {
            if (isSpecial)
            {
                ids.Add(_vocab[piece]);
                continue;
            }
            foreach (var word in Gpt2PreTokenizer.Split(piece))
            {
                foreach (var token in ApplyMerges(ByteLevelAlphabet.Encode(Encoding.UTF8.GetBytes(word))))
                    ids.Add(_vocab[token]);
            }
        }
        return ids;
    }

    /// <summary>Decodes ids back to text (bytes joined, then UTF-8).</summary>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var byId = _vocab.ToDictionary(p => p.Value, p => p.Key);
        var special = SpecialTokens.ToHashSet(StringComparer.Ordinal);
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            var token = byId[id];
            if (special.Contains(token))
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(token));
                continue;
            }
            foreach (var c in token)
                bytes.Add(ByteLevelAlphabet.TryToByte(c, out var b) ? b : throw new InvalidOperationException($"token {id} has a non byte-level character"));
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    internal IEnumerable<(string Piece, bool IsSpecial)> SplitSpecial(string text)
    {
        if (SpecialTokens.Count == 0)
        {
            yield return (text, false);
            yield break;
        }
        var start = 0;
        while (start < text.Length)
        {
            int best = -1, bestLength = 0;
            foreach (var s in SpecialTokens)
            {
                var at = text.IndexOf(s, start, StringComparison.Ordinal);
                if (at >= 0 && (best < 0 || at < best || (at == best && s.Length > bestLength)))
                {
                    best = at;
                    bestLength = s.Length;
                }
            }
            if (best < 0)
            {
                yield return (text[start..], false);
                yield break;
            }
            if (best > start)
                yield return (text[start..best], false);
            yield return (text.Substring(best, bestLength), true);
            start = best + bestLength;
        }
    }

    private List<string> ApplyMerges(string word)
    {
        var symbols = word.Select(c => c.ToString()).ToList();
        while (symbols.Count > 1)
        {
            var bestRank = int.MaxValue;
            var bestAt = -1;
            for (var i = 0; i + 1 < symbols.Count; i++)
            {
                if (_mergeRanks.TryGetValue((symbols[i], symbols[i + 1]), out var rank) && rank < bestRank)
                {
                    bestRank = rank;
                    bestAt = i;
                }
            }
            if (bestAt < 0)
                break;
            var (left, right) = Merges[bestRank];
            var merged = new List<string>(symbols.Count);
            for (var i = 0; i < symbols.Count; i++)
            {
                if (i + 1 < symbols.Count && symbols[i] == left && symbols[i + 1] == right)
                {
                    merged.Add(left + right);
                    i++;
                }
                else
                {
                    merged.Add(symbols[i]);
                }
            }
            symbols = merged;
        }
        return symbols;
    }

    private byte[] VocabJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            foreach (var (token, id) in _vocab.OrderBy(p => p.Value))
                w.WriteNumber(token, id);
            w.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private string MergesText()
    {
        var sb = new StringBuilder("#version: 0.2\n");
        foreach (var (left, right) in Merges)
            sb.Append(left).Append(' ').Append(right).Append('\n');
        return sb.ToString();
    }
}
