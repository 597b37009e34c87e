using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmOps.Tokenizers;
using LlmOps.Training.Gguf;

namespace LlmOps.Training.SafeTensors;

/// <summary>
/// The tokenizer.json of a Hugging Face model folder, loaded with Hugging Face's own tokenizer library (Tokenizers.DotNet)
/// for encoding, and read as a byte-level BPE (vocabulary, merges, special tokens) for GGUF export. Only what llama.cpp's
/// gpt2 tokenizer reproduces is accepted: a BPE model over GPT-2's byte alphabet with the ByteLevel pre-tokenizer (GPT-2's
/// pattern), no normalizer, no byte fallback; anything else is refused naming the file and what it has.
/// </summary>
public sealed class HuggingFaceTokenizer : IDisposable
{
    public const string FileName = "tokenizer.json";

    // Letters, digits, punctuation, contractions, runs of spaces, new lines and multi-byte text: the pre-tokenizer's cases.
    private const string Probe = "Hello, world! It's 2024: the cat's 3 dogs aren't   here.\n\tnaïve café, 東京 — ok?  ";

    private readonly global::Tokenizers.DotNet.Tokenizer native;

    private HuggingFaceTokenizer(string path, global::Tokenizers.DotNet.Tokenizer native, ByteLevelBpe bpe)
    {
        Path = path;
        this.native = native;
        Bpe = bpe;
    }

    /// <summary>The tokenizer.json file.</summary>
    public string Path { get; }

    /// <summary>Vocabulary, merges and special tokens as read from the file (what the GGUF export writes).</summary>
    public ByteLevelBpe Bpe { get; }

    /// <summary>Token ids of <paramref name="text"/> by Hugging Face's tokenizer; special tokens in the text are recognised.</summary>
    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length == 0 ? [] : [.. native.Encode(text).Select(id => checked((int)id))];
    }

    /// <summary>
    /// Loads <c>tokenizer.json</c> of <paramref name="directory"/>; an unsupported or malformed file is an
    /// <see cref="InvalidInputException"/> naming the file.
    /// </summary>
    public static HuggingFaceTokenizer Load(string directory)
    {
        var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(directory, FileName));
        if (!File.Exists(path))
            throw new InvalidInputException(path, "is missing: a Hugging Face model folder needs its tokenizer.json next to config.json.");
        var bpe = Read(path);
        global::Tokenizers.DotNet.Tokenizer native;
        try
        {
            native = new global::Tokenizers.DotNet.Tokenizer(path);
        }
        catch (global::Tokenizers.DotNet.TokenizerException ex)
        {
            throw new InvalidInputException(path, $"Hugging Face's tokenizer library cannot load it: {ex.Message}");
        }
        var tokenizer = new HuggingFaceTokenizer(path, native, bpe);
        try
        {
            // Settings read above decide the ids; a post-processor or anything else we do not model would show here.
            var probe = Probe + string.Concat(bpe.SpecialTokens) + " end";
            var theirs = tokenizer.Encode(probe);
            var ours = bpe.Encode(probe);
            if (!theirs.SequenceEqual(ours))
            {
                throw new InvalidInputException(path,
                    $"Hugging Face's tokenizer gives other ids than the byte-level BPE that GGUF export would write (probe ids [{string.Join(", ", theirs.Take(12))}...] vs [{string.Join(", ", ours.Take(12))}...]); a post-processor adding tokens is not supported.");
            }
            return tokenizer;
        }
        catch
        {
            tokenizer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The GGUF tokenizer metadata: bos and eos from config.json's bos_token_id / eos_token_id when it has them, else
    /// <see cref="GgufTokenizer.EndOfText"/> when the vocabulary has it.
    /// </summary>
    public GgufTokenizer ToGguf(int? bosTokenId, int? eosTokenId)
    {
        var vocabulary = Bpe.Vocab.OrderBy(p => p.Value).Select(p => p.Key).ToList();
        string Token(int? id, string which)
        {
            if (id is { } i)
            {
                return i >= 0 && i < vocabulary.Count
                    ? vocabulary[i]
                    : throw new InvalidInputException(HuggingFaceCheckpoint.ConfigFileName, $"{which} {i} is not an id of the {vocabulary.Count} tokens in {Path}.");
            }
            return Bpe.Vocab.ContainsKey(GgufTokenizer.EndOfText)
                ? GgufTokenizer.EndOfText
                : throw new InvalidInputException(HuggingFaceCheckpoint.ConfigFileName, $"has no {which} and {Path} has no {GgufTokenizer.EndOfText} token to use instead.");
        }
        var eos = Token(eosTokenId, "eos_token_id");
        var bos = bosTokenId is null ? eos : Token(bosTokenId, "bos_token_id");
        return GgufTokenizer.ByteLevelBpe(vocabulary, [.. Bpe.Merges.Select(m => m.Left + " " + m.Right)], Bpe.SpecialTokens, bos, eos);
    }

    /// <summary>Reads tokenizer.json's byte-level BPE without loading the native library.</summary>
    public static ByteLevelBpe Read(string path)
    {
        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidInputException(path, "is empty.");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new InvalidInputException(path, $"is not a JSON object: {ex.Message}");
        }
        var model = json["model"] as JsonObject ?? throw new InvalidInputException(path, "has no model.");
        var type = Str(model["type"]) ?? (model["merges"] is not null ? "BPE" : "(none)");
        if (type != "BPE")
        {
            throw new InvalidInputException(path,
                $"model type '{type}' is not supported: only byte-level BPE tokenizers (GPT-2 style) can be trained on here and exported to GGUF.");
        }
        if (json["normalizer"] is JsonObject normalizer)
            throw new InvalidInputException(path, $"normalizer '{Str(normalizer["type"])}' is not supported: llama.cpp's gpt2 tokenizer does not normalize.");
        CheckPreTokenizer(path, json["pre_tokenizer"]);
        if (model["byte_fallback"]?.GetValue<bool>() == true)
            throw new InvalidInputException(path, "model.byte_fallback is not supported (a SentencePiece-style BPE); only byte-level BPE is.");
        if (model["ignore_merges"]?.GetValue<bool>() == true)
            throw new InvalidInputException(path, "model.ignore_merges is not supported: llama.cpp's gpt2 tokenizer always applies the merges.");
        if (model["dropout"] is JsonValue dropout && dropout.GetValue<double>() > 0)
            throw new InvalidInputException(path, "model.dropout is not supported.");
        foreach (var key in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
        {
            if (Str(model[key]) is { Length: > 0 } affix)
                throw new InvalidInputException(path, $"model.{key} '{affix}' is not supported in a byte-level BPE.");
        }

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (token, id) in model["vocab"] as JsonObject ?? throw new InvalidInputException(path, "has no model.vocab."))
            vocab[token] = id!.GetValue<int>();
        var specials = new List<string>();
        if (json["added_tokens"] is JsonArray added)
        {
            foreach (var node in added.OfType<JsonObject>())
            {
                var content = Str(node["content"]) ?? throw new InvalidInputException(path, "an added token has no content.");
                var id = node["id"]?.GetValue<int>() ?? throw new InvalidInputException(path, $"added token '{content}' has no id.");
                if (node["special"]?.GetValue<bool>() != true)
                    throw new InvalidInputException(path, $"added token '{content}' is not special; only special added tokens are supported.");
                if (vocab.TryGetValue(content, out var existing) && existing != id)
                    throw new InvalidInputException(path, $"added token '{content}' has id {id} but the vocabulary gives it {existing}.");
                vocab[content] = id;
                specials.Add(content);
            }
        }
        var byId = new string?[vocab.Count];
        foreach (var (token, id) in vocab)
        {
            if (id < 0 || id >= byId.Length || byId[id] is not null)
                throw new InvalidInputException(path, string.Format(CultureInfo.InvariantCulture, "token ids must be 0 to {0} without gaps or repeats; '{1}' has {2}.", byId.Length - 1, token, id));
            byId[id] = token;
        }
        for (var b = 0; b < 256; b++)
        {
            var token = ByteLevelAlphabet.ToChar((byte)b).ToString();
            if (!vocab.ContainsKey(token))
                throw new InvalidInputException(path, string.Format(CultureInfo.InvariantCulture, "the vocabulary lacks byte {0} ('{1}'): a byte-level BPE has all 256 byte tokens.", b, token));
        }
        var merges = new List<(string, string)>();
        foreach (var merge in model["merges"] as JsonArray ?? throw new InvalidInputException(path, "has no model.merges."))
        {
            // Older files write "left right", newer ones ["left", "right"].
            (string Left, string Right) pair = merge switch
            {
                JsonArray { Count: 2 } two => (Str(two[0])!, Str(two[1])!),
                JsonValue v when Str(v) is { } text && text.IndexOf(' ', StringComparison.Ordinal) is > 0 and var space => (text[..space], text[(space + 1)..]),
                _ => throw new InvalidInputException(path, $"merge {merge?.ToJsonString()} is neither \"left right\" nor [left, right]."),
            };
            if (!vocab.ContainsKey(pair.Left) || !vocab.ContainsKey(pair.Right) || !vocab.ContainsKey(pair.Left + pair.Right))
                throw new InvalidInputException(path, $"merge '{pair.Left} {pair.Right}' uses or makes a token that is not in the vocabulary.");
            merges.Add(pair);
        }
        return new ByteLevelBpe(vocab, merges, specials);
    }

    /// <summary>Writes <paramref name="bpe"/> as a Hugging Face tokenizer.json (BPE model, ByteLevel pre-tokenizer and decoder), atomically.</summary>
    public static void Write(ByteLevelBpe bpe, string path)
    {
        ArgumentNullException.ThrowIfNull(bpe);
        var byteLevel = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true };
        var vocab = new JsonObject();
        foreach (var (token, id) in bpe.Vocab.OrderBy(p => p.Value))
            vocab[token] = id;
        var json = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray([.. bpe.SpecialTokens.Select(t => (JsonNode)new JsonObject
            {
                ["id"] = bpe.Vocab[t],
                ["content"] = t,
                ["single_word"] = false,
                ["lstrip"] = false,
                ["rstrip"] = false,
                ["normalized"] = false,
                ["special"] = true,
            })]),
            ["normalizer"] = null,
            ["pre_tokenizer"] = byteLevel,
            ["post_processor"] = byteLevel.DeepClone(),
            ["decoder"] = byteLevel.DeepClone(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["continuing_subword_prefix"] = "",
                ["end_of_word_suffix"] = "",
                ["fuse_unk"] = false,
                ["byte_fallback"] = false,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray([.. bpe.Merges.Select(m => JsonValue.Create(m.Left + " " + m.Right))]),
            },
        };
        var temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            File.WriteAllText(temp, json.ToJsonString(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = true }), new UTF8Encoding(false));
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }

    public void Dispose() => native.Dispose();

    private static void CheckPreTokenizer(string path, JsonNode? node)
    {
        // The ByteLevel pre-tokenizer with use_regex splits with GPT-2's pattern, which is llama.cpp's "gpt-2" pre-tokenizer.
        var steps = node switch
        {
            JsonObject { } o when Str(o["type"]) == "Sequence" => (o["pretokenizers"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [],
            JsonObject o => [o],
            _ => [],
        };
        var ok = steps.Count == 1
            && Str(steps[0]["type"]) == "ByteLevel"
            && steps[0]["use_regex"]?.GetValue<bool>() != false
            && steps[0]["add_prefix_space"]?.GetValue<bool>() != true;
        if (!ok)
        {
            var what = node is null ? "none" : string.Join(" + ", steps.Select(s => Str(s["type"]) + (s["add_prefix_space"]?.GetValue<bool>() == true ? "(add_prefix_space)" : s["use_regex"]?.GetValue<bool>() == false ? "(no regex)" : "")));
            throw new InvalidInputException(path,
                $"pre-tokenizer '{what}' is not supported: GGUF export writes llama.cpp's gpt-2 pre-tokenizer, which is ByteLevel with GPT-2's pattern and no prefix space.");
        }
    }

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
