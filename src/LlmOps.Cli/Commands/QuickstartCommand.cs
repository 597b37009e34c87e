using System.CommandLine;
using System.Globalization;
using System.Text;
using LlmOps.Cli.Quickstart;
using LlmOps.Identity;
using LlmOps.Pipelines;
using LlmOps.Storage;
using Spectre.Console;

namespace LlmOps.Cli.Commands;

/// <summary><c>llmops quickstart</c>: the whole loop on a demo world in a few minutes — prepare, tokenizer, pretrain, LoRA,
/// evaluate against the base, dev, smoke eval, QA — stopping for a second principal's approval before PROD.</summary>
internal static class QuickstartCommand
{
    public const string ReviewerKeyFile = "reviewer.key";

    public static Command Build()
    {
        var command = new Command("quickstart", "Run the full LLMOps loop on a small made-up demo: it stops for approval before PROD and prints the command to approve.");
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            if (!session.IsLocal) throw new InvalidInputException("--server", "the quickstart runs on a data directory; drop --server.");
            var data = new DataDirectory(CliSession.StorageFor(parse).DataDir).Ensure();
            LlmOps.Inference.Evaluation.LlamaNativeLog.ErrorsOnly();
            var pipeline = DemoWorld.Write(Path.Combine(data.Root, "quickstart"));
            // Starting the local workers first creates (and saves) the admin key on a fresh data directory.
            var runs = await session.PipelinesAsync(ct);
            var reviewerKey = await ReviewerKeyAsync(session, data, ct);

            output.Info($"[bold]LlmOps quickstart[/] in {Markup.Escape(data.Root)}: demo files in {Markup.Escape(Path.GetDirectoryName(pipeline)!)}");
            var run = await runs.StartAsync(new StartPipeline(await File.ReadAllTextAsync(pipeline, ct), null, "pipeline.yaml"), ct);
            output.Info($"Started run [bold]{run.Id}[/]; steps log below as they run.");
            var code = await PipelineCommands.WatchAsync(session, runs, run.Id, output, wait: true, ct, approvalHint: false, printResult: false);

            var details = await runs.GetAsync(run.Id, ct);
            string Score(string step) => details.Steps.FirstOrDefault(s => s.StepId == step)?.Outputs.GetValueOrDefault("score") is { } v
                && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d.ToString("P0", CultureInfo.InvariantCulture) : "-";
            var dataDirOption = parse.GetValue(GlobalOptions.DataDir) is { } d ? $" --data-dir {d}" : "";
            var next = new StringBuilder()
                .AppendLine(CultureInfo.InvariantCulture, $"Accuracy on the demo suite: base {Score("evaluate_base")} → fine-tuned {Score("evaluate")}.");
            if (details.Run.Status == PipelineRunStatus.WaitingForApproval)
            {
                next.AppendLine("The fine-tuned model is in dev and QA and waits for approval before PROD. As the reviewer (a second principal), run:")
                    .AppendLine(CultureInfo.InvariantCulture, $"  llmops approve {run.Id} -m \"read the eval report\" --api-key {reviewerKey}{dataDirOption}")
                    .AppendLine("Then serve it and ask it (the admin key is in admin.key of the data directory):")
                    .AppendLine(CultureInfo.InvariantCulture, $"  llmops up{dataDirOption}")
                    .AppendLine("  curl http://127.0.0.1:5080/v1/chat/completions -H \"Authorization: Bearer $(cat .llmops/admin.key)\" \\")
                    .AppendLine("       -H 'Content-Type: application/json' -d '{\"model\":\"demo-chat@prod\",\"messages\":[{\"role\":\"user\",\"content\":\"what color is the zorblat?\"}]}'");
            }
            if (output.Json) output.Write(new { run = details.Run, steps = details.Steps, reviewerKey }, _ => new Text(""));
            else Console.Out.Write(next.ToString());
            return code;
        }));
        return command;
    }

    /// <summary>The quickstart's reviewer: an Approver key kept in the data directory (mode 0600), created once.</summary>
    static async Task<string> ReviewerKeyAsync(CliSession session, DataDirectory data, CancellationToken ct)
    {
        var path = Path.Combine(data.Root, ReviewerKeyFile);
        if (File.Exists(path)) return (await File.ReadAllTextAsync(path, ct)).Trim();
        var created = await session.Keys.CreateAsync(new CreateApiKey("quickstart reviewer", Role.Approver), ct);
        await SecretFiles.WriteAsync(path, created.Secret, ct);
        return created.Secret;
    }
}
