using LlmOps.Evaluation.Assertions;

namespace LlmOps.Tests.Evaluation;

/// <summary>Reference-based scores against hand-counted cases.</summary>
public sealed class TextSimilarityTests
{
    [Theory]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    [InlineData("same", "same", 0)]
    [InlineData("flaw", "lawn", 2)]
    public void Levenshtein_KnownPairs(string a, string b, int expected) => Assert.Equal(expected, TextSimilarity.Levenshtein(a, b));

    [Fact]
    public void RougeN_Unigrams_RecallOfReference()
    {
        // Reference words the, cat, was, here: the candidate has "the" and "cat" → 2/4.
        Assert.Equal(0.5, TextSimilarity.RougeN("The cat sat.", "the cat was here"), 12);
        // Bigrams of the reference: "the cat", "cat was", "was here": only "the cat" → 1/3.
        Assert.Equal(1.0 / 3, TextSimilarity.RougeN("The cat sat.", "the cat was here", 2), 12);
    }

    [Fact]
    public void F1_SquadNormalisation_ByHand()
    {
        // [cat, sat] vs [cat, sat, down] after dropping articles: precision 1, recall 2/3 → F1 0.8.
        Assert.Equal(0.8, TextSimilarity.F1("The cat sat", "a cat sat down"), 12);
        Assert.Equal(0, TextSimilarity.F1("dog", "cat"));
    }

    [Fact]
    public void Bleu_SixWords_ByHand()
    {
        // Clipped precisions 5/6, 3/5, 2/4, 1/3; equal lengths so no brevity penalty: (5/6·3/5·1/2·1/3)^¼ = (1/12)^¼.
        var score = TextSimilarity.Bleu("the cat sat on the mat", ["the cat sat on a mat"]);
        Assert.Equal(Math.Pow(1.0 / 12, 0.25), score, 12);
    }

    [Fact]
    public void Bleu_Identical_IsOne_ShortCandidate_IsPenalised()
    {
        Assert.Equal(1, TextSimilarity.Bleu("one two three four five", ["one two three four five"]), 12);
        // Four of five words, all n-grams match: brevity penalty exp(1 − 5/4).
        Assert.Equal(Math.Exp(1 - 5.0 / 4), TextSimilarity.Bleu("one two three four", ["one two three four five"]), 12);
    }

    [Fact]
    public void RougeN_ReferenceWithoutWords_MatchesOnlyWordlessCandidate()
    {
        Assert.Equal(1, TextSimilarity.RougeN("?!", "..."));
        Assert.Equal(0, TextSimilarity.RougeN("word", "..."));
    }
}
