using System.Text.Json;
using LlmOps.Identity;
using LlmOps.IntegrationTests.Server;
using LlmOps.Pipelines;
using Microsoft.Extensions.DependencyInjection;

namespace LlmOps.IntegrationTests.Pipelines;

/// <summary>Continuous tuning as a pipeline on the real host: prepare → tokenizer → pretrain → register → dev, then a re-run
/// that reuses every cached step.</summary>
public sealed class TrainingPipelineTests(ServerUnderTest server) : IClassFixture<ServerUnderTest>, IDisposable
{
    /// <summary>A pretraining config's dataset and model shape: one 32-wide layer, enough for a pipeline to train in seconds.</summary>
    const string TinyPretrain = """
            datasets:
              - path: placeholder-overridden-by-the-step
                type: completion
            model_config:
              hidden_size: 32
              num_hidden_layers: 1
              num_attention_heads: 2
              num_key_value_heads: 1
              intermediate_size: 64
              max_position_embeddings: 32
            """;

    static readonly Actor Developer = new("ct-dev", "ct developer", Role.Developer, ["*"]);
    static readonly string[] Animals = ["cat", "dog", "bird", "fish", "horse", "mouse"];
    readonly TempFolder work = new("llmops-ct");

    public void Dispose() => work.Dispose();

    [Fact]
    public async Task CtFlow_PrepareTokenizerTrainPromote_RegistersWithLineage_AndReRunIsCached()
    {
        var random = new Random(7);
        var corpus = string.Concat(Enumerable.Range(0, 400).Select(_ =>
            JsonSerializer.Serialize(new { text = $"the {Animals[random.Next(Animals.Length)]} sees the {Animals[random.Next(Animals.Length)]} by the river." }) + "\n"));
        var input = work.Write("raw/corpus.jsonl", corpus);
        var recipe = work.Write("recipe.yaml", "steps:\n  - normalize\nsplit: { train: 0.9, validation: 0.1, test: 0.0 }\n");
        var config = work.Write("pretrain.yaml", TinyPretrain + "\n" + """
            sequence_len: 32
            micro_batch_size: 8
            max_steps: 8
            learning_rate: 0.003
            warmup_steps: 1
            eval_steps: 8
            register_as: ct-tiny
            """);
        var suite = work.Write("suite.yaml", """
            prompts: ["the {{animal}} sees"]
            options: { temperature: 0, max_tokens: 4 }
            tests:
              - vars: { animal: cat }
                assert:
                  - type: not-icontains
                    value: zzzz
              - vars: { animal: dog }
                assert:
                  - type: not-icontains
                    value: zzzz
            """);
        var yaml = $$"""
            name: ct-flow
            steps:
              - id: prepare
                type: data.prepare
                with: { recipe: "{{recipe}}", input: "{{input}}", name: ct-corpus }
              - id: tokenizer
                type: tokenizer.train
                with: { dataset: "${steps.prepare.outputs.dataset_version}", vocab_size: "300", name: ct-bpe }
              - id: train
                type: train
                with:
                  config: "{{config}}"
                  dataset: ${steps.prepare.outputs.dataset_version}
                  tokenizer: ${steps.tokenizer.outputs.tokenizer}
              - id: dev
                type: promote
                with: { model_version: "${steps.train.outputs.model_version}", environment: dev }
              - id: evaluate
                type: evaluate
                with: { suite: "{{suite}}", model: "${steps.train.outputs.model_version}", baseline: ct-tiny@prod }
              - id: serve_dev
                type: deploy
                when: ${steps.evaluate.outputs.gate} == 'passed'
                with: { model_version: "${steps.train.outputs.model_version}", environment: dev, endpoint: ct-chat }
            """;
        var engine = server.App.Services.GetRequiredService<PipelineEngine>();
        var first = await RunToEndAsync(engine, yaml);
        Assert.True(first.Run.Status == PipelineRunStatus.Succeeded, first.Run.Error);
        var outputs = first.Steps.Single(s => s.StepId == "train").Outputs;
        var platform = server.App.Services.GetRequiredService<PlatformServices>();
        var version = await platform.Models(Developer).ResolveAsync("ct-tiny@dev");
        Assert.Equal(outputs["model_version"], version.Reference);
        Assert.Equal(first.Steps.Single(s => s.StepId == "prepare").Outputs["dataset_version"], version.Lineage.DatasetVersion);
        Assert.Equal(outputs["run_id"], version.Lineage.RunId);
        Assert.Equal("model.gguf", Assert.Single(version.Files).Name);

        var second = await RunToEndAsync(engine, yaml);
        Assert.Equal(PipelineRunStatus.Succeeded, second.Run.Status);
        Assert.Equal([StepStatus.Cached, StepStatus.Cached, StepStatus.Cached, StepStatus.Succeeded, StepStatus.Cached, StepStatus.Succeeded], second.Steps.Select(s => s.Status));
        Assert.Equal("passed", first.Steps.Single(s => s.StepId == "evaluate").Outputs["gate"]);
        var deployments = new LlmOps.Deployments.DeploymentService(platform.Store, Developer, TimeProvider.System);
        var served = await deployments.GetAsync("dev", "ct-chat");
        Assert.Equal(version.Reference, Assert.Single(served.Spec.Versions).Reference);
        Assert.Equal(2, served.Revision);
    }

    [Fact]
    public async Task TokenizerIfNone_ANewDatasetVersionKeepsTheExistingTokenizer()
    {
        var engine = server.App.Services.GetRequiredService<PipelineEngine>();
        var recipe = work.Write("recipe-if-none.yaml", "steps:\n  - normalize\n");
        string Yaml(string input) => $$"""
            name: tokenizer-if-none
            steps:
              - { id: prepare, type: data.prepare, with: { recipe: "{{recipe}}", input: "{{input}}", name: words-if-none } }
              - id: tokenizer
                type: tokenizer.train
                with: { dataset: "${steps.prepare.outputs.dataset_version}", vocab_size: "300", name: words-if-none-bpe, reuse: "true" }
            """;
        var first = await RunToEndAsync(engine, Yaml(work.Write("a/corpus.jsonl", string.Concat(Enumerable.Range(0, 50).Select(i => $"{{\"text\":\"the cat {i} sat\"}}\n")))));
        var second = await RunToEndAsync(engine, Yaml(work.Write("b/corpus.jsonl", string.Concat(Enumerable.Range(0, 50).Select(i => $"{{\"text\":\"a dog {i} ran\"}}\n")))));

        Assert.True(first.Run.Status == PipelineRunStatus.Succeeded, first.Run.Error);
        Assert.True(second.Run.Status == PipelineRunStatus.Succeeded, second.Run.Error);
        Assert.NotEqual(first.Steps.Single(s => s.StepId == "prepare").Outputs["dataset_version"], second.Steps.Single(s => s.StepId == "prepare").Outputs["dataset_version"]);
        var trained = first.Steps.Single(s => s.StepId == "tokenizer").Outputs;
        var kept = second.Steps.Single(s => s.StepId == "tokenizer").Outputs;
        Assert.Equal("false", trained["reused"]);
        Assert.Equal("true", kept["reused"]); // the new dataset version did not train a second vocabulary
        Assert.Equal(trained["tokenizer"], kept["tokenizer"]);
    }

    /// <summary>The CT flow with a LoRA step, as the quickstart runs it: the adapter's lora version is evaluated against the
    /// pretrained base (over which it runs) and deployed.</summary>
    [Fact]
    public async Task CtFlow_LoraStep_VersionIsTheAdapter_EvaluatedAndDeployed()
    {
        var random = new Random(8);
        var corpus = string.Concat(Enumerable.Range(0, 300).Select(_ =>
            JsonSerializer.Serialize(new { text = $"the {Animals[random.Next(Animals.Length)]} sees the {Animals[random.Next(Animals.Length)]} by the river." }) + "\n"));
        var input = work.Write("raw/lora-corpus.jsonl", corpus);
        var recipe = work.Write("lora-recipe.yaml", "steps:\n  - normalize\nsplit: { train: 0.9, validation: 0.1, test: 0.0 }\n");
        const string Shape = """
            sequence_len: 32
            micro_batch_size: 8
            learning_rate: 0.003
            warmup_steps: 1
            """;
        var pretrain = work.Write("lora-pretrain.yaml", TinyPretrain + "\n" + """
            max_steps: 6
            register_as: ct-base
            """ + "\n" + Shape);
        var lora = work.Write("lora-finetune.yaml", """
            base_model: placeholder-overridden-by-the-step
            datasets:
              - path: placeholder-overridden-by-the-step
                type: completion
            adapter: lora
            lora_r: 2
            lora_target_modules: [q_proj, v_proj, down_proj]
            max_steps: 4
            register_as: ct-lora
            """ + "\n" + Shape);
        var suite = work.Write("lora-suite.yaml", """
            prompts: ["the {{animal}} sees"]
            options: { temperature: 0, max_tokens: 4 }
            tests:
              - vars: { animal: cat }
                assert:
                  - type: not-icontains
                    value: zzzz
                  - type: perplexity
                    threshold: 1000000000
            """);
        var yaml = $$"""
            name: ct-lora
            steps:
              - id: prepare
                type: data.prepare
                with: { recipe: "{{recipe}}", input: "{{input}}", name: ct-lora-corpus }
              - id: tokenizer
                type: tokenizer.train
                with: { dataset: "${steps.prepare.outputs.dataset_version}", vocab_size: "300", name: ct-lora-bpe }
              - id: pretrain
                type: train
                with: { config: "{{pretrain}}", dataset: "${steps.prepare.outputs.dataset_version}", tokenizer: "${steps.tokenizer.outputs.tokenizer}" }
              - id: finetune
                type: train
                with: { config: "{{lora}}", dataset: "${steps.prepare.outputs.dataset_version}", base_model: "${steps.pretrain.outputs.model_version}" }
              - id: evaluate
                type: evaluate
                with: { suite: "{{suite}}", model: "${steps.finetune.outputs.model_version}", baseline: "${steps.pretrain.outputs.model_version}" }
              - id: serve_dev
                type: deploy
                with: { model_version: "${steps.finetune.outputs.model_version}", environment: dev, endpoint: ct-lora-chat }
            """;

        var run = await RunToEndAsync(server.App.Services.GetRequiredService<PipelineEngine>(), yaml);

        Assert.True(run.Run.Status == PipelineRunStatus.Succeeded, run.Run.Error);
        var platform = server.App.Services.GetRequiredService<PlatformServices>();
        var adapter = await platform.Models(Developer).ResolveAsync(run.Steps.Single(s => s.StepId == "finetune").Outputs["model_version"]);
        Assert.Equal(LlmOps.Registry.ModelFormats.Lora, adapter.Format);
        Assert.Equal(run.Steps.Single(s => s.StepId == "pretrain").Outputs["model_version"], $"{adapter.Lineage.BaseModel}/{adapter.Lineage.BaseVersion}");
        Assert.Equal(StepStatus.Succeeded, run.Steps.Single(s => s.StepId == "evaluate").Status);
        var served = await new LlmOps.Deployments.DeploymentService(platform.Store, Developer, TimeProvider.System).GetAsync("dev", "ct-lora-chat");
        Assert.Equal(adapter.Reference, Assert.Single(served.Spec.Versions).Reference);
    }

    static async Task<PipelineRunDetails> RunToEndAsync(PipelineEngine engine, string yaml)
    {
        var run = await engine.StartAsync(PipelineParser.Parse(yaml), null, Developer);
        for (var i = 0; i < 1800; i++)
        {
            var (current, steps) = await engine.GetAsync(run.Id, Developer);
            if (current.IsFinished) return new PipelineRunDetails(current, steps);
            await Task.Delay(100);
        }
        throw new TimeoutException("the CT pipeline did not finish in 3 minutes");
    }
}
