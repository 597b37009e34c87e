using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LlmOps.Cli.Quickstart;

/// <summary>The quickstart's made-up world (no licence questions): 24 invented creatures, each of one colour. The pretraining
/// corpus tells of them in prose; the fine-tuning set teaches the chat question/answer form; the eval suite asks every colour.
/// The suite asks the same 24 questions the fine-tuning set answers: it shows the loop and that the task was learned, not
/// generalisation (on creatures held out of fine-tuning the tiny model scores 0% — measured, see the issue notes).</summary>
internal static class DemoWorld
{
    static readonly string[] Creatures =
    [
        "zorblat", "quimble", "fennick", "drapple", "moxolot", "trindle", "belvash", "cruffin", "gloam", "pendrick", "sallow", "wumbat",
        "yarrick", "oblin", "tazzle", "vornik", "hollup", "mirrow", "plinth", "quorra", "snabble", "tumbric", "umber", "xandrel",
    ];

    static readonly string[] Colours = ["red", "blue", "green", "yellow", "purple", "orange", "black", "white"];

    static readonly string[] Stories =
    [
        "the {0} is {1}.", "a {1} {0} sat on the hill.", "everyone knows the {0} is {1}.", "i saw a {0} today. it was {1}.",
        "the {1} {0} ran to the river.", "my friend has a {0}. it is {1} like all of them.", "every {0} is {1}.", "look, a {1} {0}!",
    ];

    public static IEnumerable<(string Creature, string Colour)> Facts() => Creatures.Select((c, i) => (c, Colours[i % Colours.Length]));

    /// <summary>The user's question; the fine-tuning set and the gateway render chats the same way (<c>user: …\nassistant:</c>).</summary>
    public const string Question = "what color is the {0}?";

    /// <summary>Writes every file of the demo into <paramref name="folder"/> and returns the pipeline's path.</summary>
    public static string Write(string folder)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(2026);
        var corpus = new StringBuilder();
        var facts = Facts().ToList();
        for (var i = 0; i < 4000; i++)
        {
            var (creature, colour) = facts[random.Next(facts.Count)];
            var line = string.Format(CultureInfo.InvariantCulture, Stories[random.Next(Stories.Length)], creature, colour);
            corpus.Append(JsonSerializer.Serialize(new { text = line })).Append('\n');
        }
        File.WriteAllText(Path.Combine(folder, "corpus.jsonl"), corpus.ToString());
        var sft = new StringBuilder();
        foreach (var (creature, colour) in facts)
        {
            sft.Append(JsonSerializer.Serialize(new
            {
                messages = new[] { new { role = "user", content = string.Format(CultureInfo.InvariantCulture, Question, creature) }, new { role = "assistant", content = $"the {creature} is {colour}." } },
            })).Append('\n');
        }
        File.WriteAllText(Path.Combine(folder, "qa.jsonl"), sft.ToString());
        File.WriteAllText(Path.Combine(folder, "text-recipe.yaml"), "steps:\n  - normalize\nsplit: { train: 0.95, validation: 0.05, test: 0.0 }\n");
        File.WriteAllText(Path.Combine(folder, "qa-recipe.yaml"), "input:\n  shape: chat\nsteps:\n  - normalize\nsplit: { train: 1.0, validation: 0.0, test: 0.0 }\n");
        File.WriteAllText(Path.Combine(folder, "pretrain.yaml"), """
            # Pretraining from scratch on the demo corpus (axolotl key names; model_config uses Hugging Face's).
            datasets:
              - path: set-by-the-pipeline
                type: completion
            tokenizer: set-by-the-pipeline
            model_config:
              hidden_size: 128
              num_hidden_layers: 3
              num_attention_heads: 4
              num_key_value_heads: 2
              intermediate_size: 256
              max_position_embeddings: 64
            sequence_len: 48
            micro_batch_size: 16
            max_steps: 400
            learning_rate: 0.003
            warmup_steps: 10
            eval_steps: 50
            logging_steps: 10
            register_as: demo-base
            """);
        File.WriteAllText(Path.Combine(folder, "lora.yaml"), """
            # LoRA fine-tuning of the pretrained base on question/answer pairs (loss on the answers only).
            base_model: set-by-the-pipeline
            datasets:
              - path: set-by-the-pipeline
                type: chat_template
            adapter: lora
            lora_r: 16
            lora_alpha: 32
            lora_dropout: 0.0
            lora_target_modules: [q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj]
            sequence_len: 64
            micro_batch_size: 8
            max_steps: 300
            learning_rate: 0.003
            warmup_steps: 5
            logging_steps: 10
            register_as: demo-chat
            """);
        var suite = new StringBuilder("""
            # Does the model answer the colour question in the trained form? (promptfoo's shape)
            description: demo colour questions
            prompts: ["what color is the {{creature}}?"]
            options: { temperature: 0, max_tokens: 12 }
            tests:

            """);
        foreach (var (creature, colour) in facts)
            suite.Append(CultureInfo.InvariantCulture, $"  - vars: {{ creature: {creature} }}\n    assert:\n      - type: regex\n        value: '^\\s*the {creature} is {colour}\\b'\n");
        File.WriteAllText(Path.Combine(folder, "suite.yaml"), suite.ToString());

        var pipeline = Path.Combine(folder, "pipeline.yaml");
        File.WriteAllText(pipeline, Pipeline(folder));
        return pipeline;
    }

    static string Pipeline(string folder)
    {
        string P(string name) => Path.Combine(folder, name).Replace("\\", "/", StringComparison.Ordinal);
        return $$"""
            name: llmops-quickstart
            description: prepare → tokenizer → pretrain → LoRA → evaluate vs base → dev → smoke eval → QA → approval → PROD (canary) → promote
            steps:
              - { id: prepare_text, type: data.prepare, with: { recipe: "{{P("text-recipe.yaml")}}", input: "{{P("corpus.jsonl")}}", name: demo-corpus } }
              - { id: prepare_qa, type: data.prepare, with: { recipe: "{{P("qa-recipe.yaml")}}", input: "{{P("qa.jsonl")}}", name: demo-qa } }
              - id: tokenizer
                type: tokenizer.train
                with: { dataset: "${steps.prepare_text.outputs.dataset_version}", vocab_size: "384", name: demo-bpe }
              - id: pretrain
                type: train
                with: { config: "{{P("pretrain.yaml")}}", dataset: "${steps.prepare_text.outputs.dataset_version}", tokenizer: "${steps.tokenizer.outputs.tokenizer}" }
              - id: evaluate_base
                type: evaluate
                with: { suite: "{{P("suite.yaml")}}", model: "${steps.pretrain.outputs.model_version}" }
              - id: finetune
                type: train
                with: { config: "{{P("lora.yaml")}}", dataset: "${steps.prepare_qa.outputs.dataset_version}", base_model: "${steps.pretrain.outputs.model_version}" }
              - id: evaluate
                type: evaluate
                needs: [evaluate_base]
                with: { suite: "{{P("suite.yaml")}}", model: "${steps.finetune.outputs.model_version}", baseline: "${steps.pretrain.outputs.model_version}" }
              - id: dev
                type: deploy
                when: ${steps.evaluate.outputs.gate} == 'passed'
                with: { model_version: "${steps.finetune.outputs.model_version}", environment: dev, endpoint: demo-chat }
              - id: smoke
                type: evaluate
                needs: [dev]
                with: { suite: "{{P("suite.yaml")}}", model: "${steps.finetune.outputs.model_version}" }
              - id: qa
                type: deploy
                when: ${steps.smoke.outputs.gate} == 'passed'
                with: { model_version: "${steps.finetune.outputs.model_version}", environment: qa, endpoint: demo-chat }
              - id: approval
                type: approval
                needs: [qa]
                with: { model_version: "${steps.finetune.outputs.model_version}", evidence: "${steps.evaluate.outputs.evidence}", comment: "quickstart: demo-chat passed its eval gate against the base" }
              - id: prod
                type: deploy
                with: { model_version: "${steps.approval.outputs.model_version}", environment: prod, endpoint: demo-chat }
              - id: promote
                type: promote
                needs: [prod]
                with: { model_version: "${steps.finetune.outputs.model_version}", environment: prod }
            """;
    }
}
