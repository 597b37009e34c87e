using LlmOps.DataPrep;
using LlmOps.DataPrep.Cleaning;
using LlmOps.DataPrep.Dedup;
using LlmOps.DataPrep.Pii;
using LlmOps.DataPrep.Recipes;

namespace LlmOps.Tests.DataPrep.Recipes;

public class RecipeTests
{
    private const string Full = """
        # a recipe with every step
        input:
          shape: chat
          fields:
            messages: conversation
        steps:
          - normalize
          - filter_length: { min_chars: 5, max_tokens: 4096 }
          - filter_repetition: { max_ratio: 0.25 }
          - filter_symbols
          - filter_chat_turns
          - dedupe_exact
          - dedupe_near:
              threshold: 0.85
          - redact_pii: { kinds: [email, credit_card] }
          - decontaminate: { eval_files: [evals/qa.jsonl], ngram: 10 }
        split: { train: 0.8, validation: 0.1, test: 0.1 }
        """;

    [Fact]
    public void Parse_FullRecipe_ReadsEveryStepInOrder()
    {
        var recipe = Recipe.Parse(Full);

        Assert.Equal(RecordShape.Chat, recipe.Input.Shape);
        Assert.Equal("conversation", recipe.Input.MessagesField);
        Assert.Equal(
            ["normalize", "filter_length", "filter_repetition", "filter_symbols", "filter_chat_turns", "dedupe_exact", "dedupe_near", "redact_pii", "decontaminate"],
            recipe.Steps.Select(s => s.Name));
        Assert.Equal(0.85, ((NearDeduplicationOptions)recipe.Steps[6].Options).Threshold);
        Assert.Equal(new HashSet<PiiKind> { PiiKind.Email, PiiKind.CreditCard }, ((PiiRedactionOptions)recipe.Steps[7].Options).Kinds);
        Assert.True(((TextCleaningOptions)recipe.Steps[0].Options).Nfc);
        Assert.Equal(0.8, recipe.Split.Train);
        Assert.Equal(8, recipe.Steps[1].Line);
    }

    [Fact]
    public void Parse_UnknownStep_ErrorNamesItAndItsLine()
    {
        var ex = Assert.Throws<RecipeException>(() => Recipe.Parse("steps:\n  - normalize\n  - dedupe_fuzzy: { threshold: 0.8 }\n"));
        Assert.Equal(3, ex.Line);
        Assert.Contains("unknown step 'dedupe_fuzzy'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownSetting_ErrorNamesItAndItsLine()
    {
        var ex = Assert.Throws<RecipeException>(() => Recipe.Parse("steps:\n  - dedupe_near:\n      threshold: 0.8\n      treshold: 0.9\n"));
        Assert.Equal(4, ex.Line);
        Assert.Contains("unknown setting 'treshold' in step 'dedupe_near'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownTopLevelOrInputKey_ErrorWithLine()
    {
        Assert.Equal(2, Assert.Throws<RecipeException>(() => Recipe.Parse("steps: []\nsplits: {}\n")).Line);
        Assert.Equal(3, Assert.Throws<RecipeException>(() => Recipe.Parse("input:\n  fields:\n    body: x\n")).Line);
    }

    [Theory]
    [InlineData("steps:\n  - dedupe_near: { threshold: high }\n", 2, "threshold")]
    [InlineData("steps:\n  - filter_length: { min_chars: -1 }\n", 2, "min_chars")]
    [InlineData("steps:\n  - redact_pii: { kinds: [email, ssn] }\n", 2, "unknown kind 'ssn'")]
    [InlineData("split: { train: 0.9, validation: 0.2, test: 0.1 }\n", 1, "add up to 1")]
    [InlineData("steps: [\n", 2, "invalid YAML")]
    public void Parse_BadValue_ErrorWithLine(string yaml, long line, string fragment)
    {
        var ex = Assert.Throws<RecipeException>(() => Recipe.Parse(yaml));
        Assert.Equal(line, ex.Line);
        Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CanonicalJson_CommentsAndKeyOrder_DoNotMatter()
    {
        var a = Recipe.Parse("# comment\nsteps:\n  - dedupe_near: { threshold: 0.8, bands: 16 }\n");
        var b = Recipe.Parse("steps:\n  - dedupe_near:\n      bands: 16\n      threshold: 0.8\n");
        var c = Recipe.Parse("steps:\n  - dedupe_near: { threshold: 0.9, bands: 16 }\n");
        Assert.Equal(a.CanonicalJson, b.CanonicalJson);
        Assert.NotEqual(a.CanonicalJson, c.CanonicalJson);
    }
}

public class RecipeIndentationTests
{
    [Fact]
    public void Parse_SettingNotIndentedUnderStep_ErrorPointsAtIt()
    {
        var ex = Assert.Throws<RecipeException>(() => Recipe.Parse("steps:\n  - dedupe_near:\n    threshold: 0.8\n"));
        Assert.Equal(3, ex.Line);
        Assert.Contains("'threshold' is not under step 'dedupe_near'", ex.Message, StringComparison.Ordinal);
    }
}
