using System.CommandLine;
using System.Globalization;
using LlmOps.Training.Jobs;
using Spectre.Console;

namespace LlmOps.Cli.Commands;

/// <summary><c>llmops train --config C [--resume]</c>: pretrain, fine-tune or LoRA-tune from an axolotl-style YAML config.</summary>
/// <remarks>The registry, dataset and run calls go to the data directory or the server; the training itself runs in this process.</remarks>
internal static class TrainCommand
{
    public static Command Build()
    {
        var config = new Option<FileInfo>("--config", "-c") { Description = "Training config YAML (axolotl key names: base_model, datasets, adapter, sequence_len, ...).", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue from the newest checkpoint in output_dir (in a new run tagged with the step it resumed from)." };
        var command = new Command("train", "Train a model from a YAML config: track a run, checkpoint, export GGUF and register a model version with lineage. Ctrl-C stops at a step boundary after a checkpoint.")
            { config, resume };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var file = parse.GetValue(config)!;
            if (!file.Exists) throw new InvalidInputException("--config", $"{file.FullName} does not exist.");
            TrainingConfig parsed;
            try
            {
                parsed = TrainingConfigParser.Load(file.FullName);
            }
            catch (TrainingConfigException ex)
            {
                throw new InvalidInputException(file.Name, ex.Message);
            }
            var services = new TrainingServices(session.Datasets, session.Models, session.Runs, session.Upload, session.Download);
            var job = new TrainingJob(services);
            TrainingJobResult result;
            try
            {
                result = await RunWithProgressAsync(output, progress => job.RunAsync(parsed, parse.GetValue(resume), progress, ct));
            }
            catch (TrainingConfigException ex)
            {
                throw new InvalidInputException(file.Name, ex.Message);
            }
            var training = result.Training;
            output.Write(new
            {
                runId = result.RunId,
                model = result.Version.Reference,
                version = result.Version,
                steps = training.Steps,
                resumedFromStep = result.ResumedFromStep,
                finalLoss = training.FinalLoss,
                validationLoss = training.ValidationLoss,
                perplexity = training.ValidationPerplexity,
                tokensPerSecond = training.TokensPerSecond,
                trainWindows = result.TrainWindows,
                validationWindows = result.ValidationWindows,
            }, _ => new Rows(
                new Markup($"Registered [green]{Markup.Escape(result.Version.Reference)}[/] from run [bold]{result.RunId}[/]\n"),
                Output.Fields([
                    ("steps", training.Steps.ToString(CultureInfo.InvariantCulture) + (result.ResumedFromStep is { } from ? $" (resumed at {from})" : "")),
                    ("train loss", training.FinalLoss.ToString("F4", CultureInfo.InvariantCulture)),
                    ("val loss", training.ValidationLoss?.ToString("F4", CultureInfo.InvariantCulture)),
                    ("perplexity", training.ValidationPerplexity?.ToString("F2", CultureInfo.InvariantCulture)),
                    ("tokens/s", training.TokensPerSecond.ToString("N0", CultureInfo.InvariantCulture)),
                    ("lineage", $"base={result.Version.Lineage.BaseModel ?? "-"}{(result.Version.Lineage.BaseVersion is { } v ? "/" + v.ToString(CultureInfo.InvariantCulture) : "")} dataset={result.Version.Lineage.DatasetVersion?[..12]} run={result.Version.Lineage.RunId}"),
                ])));
            return ExitCodes.Ok;
        }));
        return command;
    }

    static async Task<TrainingJobResult> RunWithProgressAsync(Output output, Func<Action<TrainingJobProgress>?, Task<TrainingJobResult>> run)
    {
        if (output.Json || Console.IsOutputRedirected) return await run(null);
        TrainingJobResult? result = null;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("loading", maxValue: 1);
                result = await run(p =>
                {
                    if (p.MaxSteps > 0)
                    {
                        task.MaxValue = p.MaxSteps;
                        task.Value = p.Step;
                    }
                    task.Description = p.Phase == "training"
                        ? string.Create(CultureInfo.InvariantCulture, $"step {p.Step}/{p.MaxSteps} · loss {p.Loss:F3}{(p.ValidationLoss is { } v ? $" · val {v:F3}" : "")} · {p.TokensPerSecond:N0} tok/s")
                        : p.Phase;
                });
                task.Value = task.MaxValue;
            });
        return result!;
    }
}
