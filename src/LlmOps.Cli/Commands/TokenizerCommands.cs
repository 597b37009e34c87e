using System.CommandLine;
using System.Globalization;
using LlmOps.Training.Jobs;
using Spectre.Console;

namespace LlmOps.Cli.Commands;

/// <summary><c>llmops tokenizer train</c>: a byte-level BPE trained on a dataset version, stored as a run's artifacts.</summary>
internal static class TokenizerCommands
{
    public static Command Build()
    {
        var tokenizer = new Command("tokenizer", "Train byte-level BPE tokenizers on dataset versions.");
        tokenizer.Subcommands.Add(Train());
        return tokenizer;
    }

    static Command Train()
    {
        var dataset = new Option<string>("--dataset", "-d") { Description = "Dataset version id (or a unique prefix of 8+ hex digits); its train split is learned.", Required = true };
        var vocabSize = new Option<int>("--vocab-size") { Description = "Vocabulary size: special tokens + 256 bytes + merges.", DefaultValueFactory = _ => 8192 };
        var special = new Option<string[]>("--special") { Description = "Extra special token (repeatable); <|endoftext|> is always the first.", AllowMultipleArgumentsPerToken = true };
        var name = new Option<string>("--name", "-n") { Description = "Tokenizer name (training configs refer to it by this name or by the run id).", Required = true };
        var command = new Command("train", "Train a byte-level BPE on a dataset's train split; store vocab.json, merges.txt and tokenizer_config.json as the artifacts of a run in the 'tokenizers' experiment, and print token statistics per split.")
            { dataset, vocabSize, special, name };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var services = new TrainingServices(session.Datasets, session.Models, session.Runs, session.Upload, session.Download);
            var run = () => TokenizerJob.TrainAsync(services, parse.GetValue(dataset)!, parse.GetValue(vocabSize), parse.GetValue(special) ?? [], parse.GetValue(name)!, ct);
            TrainedTokenizer trained;
            if (output.Json || Console.IsOutputRedirected)
                trained = await run();
            else
                trained = await AnsiConsole.Status().StartAsync("training the tokenizer…", _ => run());
            output.Write(trained, t =>
            {
                var table = Output.Table("split", "records", "tokens", "tokens/record", "bytes/token");
                foreach (var s in t.Splits)
                {
                    table.AddRow(s.Split, s.Records.ToString("N0", CultureInfo.InvariantCulture), s.Tokens.ToString("N0", CultureInfo.InvariantCulture),
                        s.TokensPerRecord.ToString("N1", CultureInfo.InvariantCulture), s.BytesPerToken.ToString("N2", CultureInfo.InvariantCulture));
                }
                return new Rows(
                    new Markup($"Tokenizer [green]{Markup.Escape(t.Name)}[/]: {t.VocabSize} tokens, run [bold]{t.RunId}[/]\n"),
                    Output.Fields([("dataset", t.DatasetVersion), ("fingerprint", t.Fingerprint), ("special", string.Join(" ", t.SpecialTokens))]),
                    table);
            });
            return ExitCodes.Ok;
        }));
        return command;
    }
}
