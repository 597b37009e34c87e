using LlmOps.Training.Modeling;

namespace LlmOps.Tests.Training.Modeling;

public sealed class LlamaForCausalLMTests
{
    private static readonly int[] Ids = [1, 5, 42, 7, 99, 250, 3];

    [Fact]
    public void Logits_ForSequence_HaveSequenceByVocabShapeAndAreFinite()
    {
        using var model = LlamaForCausalLM.Create(TinyModels.Config(), seed: 1);

        var logits = model.Logits(Ids);

        Assert.Equal(Ids.Length, logits.GetLength(0));
        Assert.Equal(300, logits.GetLength(1));
        Assert.All(logits.Cast<float>(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Create_SameSeed_GivesIdenticalLogitsAndDifferentSeedDoesNot()
    {
        using var a = LlamaForCausalLM.Create(TinyModels.Config(), seed: 7);
        using var b = LlamaForCausalLM.Create(TinyModels.Config(), seed: 7);
        using var c = LlamaForCausalLM.Create(TinyModels.Config(), seed: 8);

        Assert.Equal(0f, TinyModels.MaxAbsDiff(a.Logits(Ids), b.Logits(Ids)));
        Assert.True(TinyModels.MaxAbsDiff(a.Logits(Ids), c.Logits(Ids)) > 1e-3f);
    }

    [Fact]
    public void Logits_ChangingALaterToken_LeavesEarlierPositionsUnchanged()
    {
        using var model = LlamaForCausalLM.Create(TinyModels.Config(), seed: 3);
        var changed = (int[])Ids.Clone();
        changed[^1] = 11;

        var before = model.Logits(Ids);
        var after = model.Logits(changed);

        for (var t = 0; t < Ids.Length - 1; t++)
            for (var v = 0; v < 300; v++)
                Assert.Equal(before[t, v], after[t, v], 5);
        Assert.NotEqual(before[Ids.Length - 1, 0], after[Ids.Length - 1, 0]);
    }

    [Fact]
    public void ExportWeights_TiedEmbeddings_HasNoLmHeadAndHuggingFaceNames()
    {
        using var model = LlamaForCausalLM.Create(TinyModels.Config(tied: true), seed: 1);

        var weights = model.ExportWeights();
        try
        {
            Assert.DoesNotContain("lm_head.weight", weights.Keys);
            Assert.Contains("model.embed_tokens.weight", weights.Keys);
            Assert.Contains("model.layers.1.self_attn.q_proj.weight", weights.Keys);
            Assert.Contains("model.layers.0.mlp.down_proj.weight", weights.Keys);
            Assert.Contains("model.layers.0.post_attention_layernorm.weight", weights.Keys);
            Assert.Contains("model.norm.weight", weights.Keys);
            Assert.Equal(new long[] { 2 * 16, 64 }, weights["model.layers.0.self_attn.k_proj.weight"].shape);
        }
        finally
        {
            foreach (var t in weights.Values)
                t.Dispose();
        }
    }

    [Fact]
    public void StateDict_RegistersEachWeightOnceUnderItsHuggingFaceName()
    {
        using var model = LlamaForCausalLM.Create(TinyModels.Config(), seed: 1);

        var names = model.state_dict().Keys.Order(StringComparer.Ordinal).ToList();

        // 2 layers x 9 weights + embedding, final norm and head; no duplicates under reflection-made names.
        Assert.Equal(21, names.Count);
        Assert.All(names, n => Assert.Matches(@"^(model\.(embed_tokens|norm|layers\.\d+\.(input_layernorm|post_attention_layernorm|self_attn\.[qkvo]_proj|mlp\.(gate|up|down)_proj))|lm_head)\.weight$", n));
        Assert.Equal(2 * 7 + 1, model.named_modules().Count(m => m.module is LoraLinear));
    }

    [Fact]
    public void LoadWeights_FromAnotherModel_ReproducesItsLogits()
    {
        using var source = LlamaForCausalLM.Create(TinyModels.Config(architecture: LlamaConfig.Qwen2Architecture), seed: 4);
        using var target = LlamaForCausalLM.Create(TinyModels.Config(architecture: LlamaConfig.Qwen2Architecture), seed: 5);
        var weights = source.ExportWeights();

        target.LoadWeights(weights);

        Assert.Equal(0f, TinyModels.MaxAbsDiff(source.Logits(Ids), target.Logits(Ids)));
        foreach (var t in weights.Values)
            t.Dispose();
    }

    [Fact]
    public async Task GenerateGreedy_TrainedOnProgressions_ContinuesTheProgressionAndStopsAtTheStopToken()
    {
        using var model = await TinyModels.TrainedAsync(steps: 60);

        var continuation = model.GenerateGreedy([20, 22, 24, 26, 28, 30], maxNewTokens: 4);
        var stopped = model.GenerateGreedy([20, 22, 24, 26, 28, 30], maxNewTokens: 4, stopTokenId: continuation[1]);

        Assert.Equal([32, 34, 36, 38], continuation);
        Assert.Equal([32, 34], stopped);
    }

    [Fact]
    public void Validate_HeadsNotMultipleOfKvHeads_Throws()
    {
        var config = TinyModels.Config(kvHeads: 3);

        Assert.Throws<ArgumentException>(config.Validate);
    }
}
