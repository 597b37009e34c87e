using System.CommandLine;
using LlmOps.Artifacts;
using LlmOps.Registry;
using Spectre.Console;

namespace LlmOps.Cli.Commands;

/// <summary><c>llmops models list|show|register|promote|request-approval|approve|reject</c>.</summary>
internal static class ModelsCommands
{
    public static Command Build()
    {
        var models = new Command("models", "The model registry: versions, lineage, approvals and environment aliases.");
        models.Subcommands.Add(List());
        models.Subcommands.Add(Show());
        models.Subcommands.Add(Register());
        models.Subcommands.Add(Promote());
        models.Subcommands.Add(Decision("request-approval", "Ask for review of a version (it becomes PendingManualApproval).", (s, n, v, d, ct) => s.Models.RequestApprovalAsync(n, v, d, ct)));
        models.Subcommands.Add(Decision("approve", "Approve a version pending review (an Approver other than the requester).", (s, n, v, d, ct) => s.Models.ApproveAsync(n, v, d, ct)));
        models.Subcommands.Add(Decision("reject", "Reject a version pending review (an Approver other than the requester).", (s, n, v, d, ct) => s.Models.RejectAsync(n, v, d, ct)));
        return models;
    }

    static Command List()
    {
        var command = new Command("list", "List registered models with their aliases.");
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var models = await session.Models.ListModelsAsync(ct);
            output.Write(models, list =>
            {
                var table = Output.Table("name", "aliases", "created", "by", "description");
                foreach (var m in list)
                    table.AddRow(Markup.Escape(m.Name), Markup.Escape(Output.Pairs(m.Aliases)), Output.Time(m.CreatedAt), Markup.Escape(m.CreatedBy), Markup.Escape(m.Description ?? ""));
                return table;
            });
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command Show()
    {
        var reference = new Argument<string>("MODEL") { Description = "A model name, name/VERSION or name@ENVIRONMENT." };
        var command = new Command("show", "Show a model and its versions, or one version with its lineage and approval history.") { reference };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var text = parse.GetValue(reference)!;
            if (!text.Contains('/', StringComparison.Ordinal) && !text.Contains('@', StringComparison.Ordinal))
            {
                var model = await session.Models.GetModelAsync(text, ct);
                var versions = await session.Models.ListVersionsAsync(text, ct);
                output.Write(new { model, versions }, _ =>
                {
                    var table = Output.Table("version", "format", "approval", "run", "dataset", "metrics", "created");
                    foreach (var v in versions)
                    {
                        table.AddRow(v.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), v.Format, v.ApprovalState.ToString(), Markup.Escape(v.Lineage.RunId ?? "-"),
                            Markup.Escape(v.Lineage.DatasetVersion ?? "-"), Markup.Escape(Output.Pairs(v.Metrics)), Output.Time(v.CreatedAt));
                    }
                    return new Rows(Output.Fields([("model", model.Name), ("aliases", Output.Pairs(model.Aliases)), ("description", model.Description)]), table);
                });
                return ExitCodes.Ok;
            }
            var version = await session.Models.ResolveAsync(text, ct);
            var approvals = await session.Models.ListApprovalEventsAsync(version.ModelName, version.Version, ct);
            output.Write(new { version, approvals }, _ =>
            {
                var files = Output.Table("file", "sha256", "bytes");
                foreach (var f in version.Files) files.AddRow(Markup.Escape(f.Name), f.Sha256, f.Size.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
                var history = Output.Table("when", "action", "by", "comment", "evidence");
                foreach (var a in approvals)
                    history.AddRow(Output.Time(a.At), a.Action.ToString(), Markup.Escape(a.ActorId), Markup.Escape(a.Comment), Markup.Escape(string.Join("; ", a.Evidence.Select(e => $"{e.Kind}:{e.Reference}"))));
                var lineage = version.Lineage;
                return new Rows(Output.Fields([
                    ("version", version.Reference), ("format", version.Format), ("approval", version.ApprovalState.ToString()),
                    ("base", lineage.BaseModel is null ? null : $"{lineage.BaseModel}/{lineage.BaseVersion}"), ("dataset", lineage.DatasetVersion), ("run", lineage.RunId),
                    ("source", version.SourceUri), ("metrics", Output.Pairs(version.Metrics)), ("tags", Output.Pairs(version.Tags)),
                    ("created", $"{Output.Time(version.CreatedAt)} by {version.CreatedBy}")]), files, history);
            });
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command Register()
    {
        var name = new Argument<string>("NAME") { Description = "Model name; created if it does not exist." };
        var files = new Option<FileInfo[]>("--file", "-f") { Description = "A file of the version (repeatable); uploaded to the artifact store.", AllowMultipleArgumentsPerToken = false };
        var format = new Option<string>("--format") { Description = $"One of {string.Join(", ", ModelFormats.All)}.", DefaultValueFactory = _ => ModelFormats.Gguf };
        var source = new Option<string?>("--source") { Description = "Endpoint URL (remote format) or where the weights came from." };
        var baseModel = new Option<string?>("--base") { Description = "Base model version, name/VERSION (lineage)." };
        var dataset = new Option<string?>("--dataset") { Description = "Dataset version id the model was trained on (lineage)." };
        var run = new Option<string?>("--run") { Description = "Run id that produced the model (lineage)." };
        var metrics = new Option<string[]>("--metric") { Description = "KEY=NUMBER (repeatable)." };
        var tags = new Option<string[]>("--tag") { Description = "KEY=VALUE (repeatable)." };
        var card = new Option<FileInfo?>("--card") { Description = "Markdown model card file." };
        var command = new Command("register", "Register a new immutable version of a model.") { name, files, format, source, baseModel, dataset, run, metrics, tags, card };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            (string, int)? baseVersion = parse.GetValue(baseModel) is { } b ? Arguments.Version(b, "--base") : null;
            var cardFile = parse.GetValue(card);
            var modelCard = cardFile is null ? null : await File.ReadAllTextAsync(cardFile.FullName, ct);
            var uploaded = new List<ArtifactFile>();
            foreach (var file in parse.GetValue(files) ?? [])
            {
                if (!file.Exists) throw new InvalidInputException("--file", $"{file.FullName} does not exist.");
                var blob = await UploadAsync(session, file, output, ct);
                uploaded.Add(new ArtifactFile(file.Name, blob.Sha256, blob.Size));
            }
            var version = await session.Models.RegisterVersionAsync(new RegisterVersion(parse.GetValue(name)!, parse.GetValue(format)!, uploaded, parse.GetValue(source),
                new ModelLineage(baseVersion?.Item1, baseVersion?.Item2, parse.GetValue(dataset), parse.GetValue(run)),
                Arguments.Numbers(parse.GetValue(metrics), "--metric"), Arguments.Pairs(parse.GetValue(tags), "--tag"), modelCard), ct);
            output.Write(version, v => new Markup($"Registered [green]{Markup.Escape(v.Reference)}[/] ({v.Format}, {v.Files.Count} file(s)).\n"));
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command Promote()
    {
        var version = new Argument<string>("VERSION") { Description = "name/VERSION to point the alias at." };
        var environment = new Option<string>("--env", "-e") { Description = "dev, qa or prod (prod needs an Approved version).", Required = true };
        environment.AcceptOnlyFromAmong([.. Environments.All]);
        var command = new Command("promote", "Point an environment alias (dev, qa, prod) at a version.") { version, environment };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var (name, number) = Arguments.Version(parse.GetValue(version)!);
            var move = await session.Models.PromoteAsync(name, number, parse.GetValue(environment)!, ct);
            output.Write(move, m => new Markup($"[green]{Markup.Escape(m.ModelName)}@{m.Alias}[/] → version {m.ToVersion}" +
                (m.FromVersion is { } from ? $" (was {from})" : "") + "\n"));
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command Decision(string verb, string description, Func<CliSession, string, int, ApprovalDecision, CancellationToken, Task<ModelVersion>> act)
    {
        var version = new Argument<string>("VERSION") { Description = "name/VERSION." };
        var comment = new Option<string>("--comment", "-m") { Description = "What was checked (required).", Required = true };
        var evidence = new Option<string[]>("--evidence") { Description = "KIND=REFERENCE, e.g. evaluation=<id> or report=<url> (repeatable)." };
        var command = new Command(verb, description) { version, comment, evidence };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var (name, number) = Arguments.Version(parse.GetValue(version)!);
            var attached = Arguments.Pairs(parse.GetValue(evidence), "--evidence").Select(p => new Evidence(p.Key, p.Value)).ToList();
            var result = await act(session, name, number, new ApprovalDecision(parse.GetValue(comment)!, attached), ct);
            output.Write(result, v => new Markup($"[green]{Markup.Escape(v.Reference)}[/] is now [bold]{v.ApprovalState}[/].\n"));
            return ExitCodes.Ok;
        }));
        return command;
    }

    static async Task<BlobInfo> UploadAsync(CliSession session, FileInfo file, Output output, CancellationToken ct)
    {
        // A progress bar for anything that takes more than a moment; plain under --json or when redirected.
        if (output.Json || file.Length < 16 * 1024 * 1024 || Console.IsOutputRedirected)
        {
            await using var plain = file.OpenRead();
            return await session.Upload(plain, ct);
        }
        BlobInfo? blob = null;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(file.Name), maxValue: file.Length);
                await using var stream = new ProgressStream(file.OpenRead(), read => task.Increment(read));
                blob = await session.Upload(stream, ct);
            });
        return blob!;
    }
}
