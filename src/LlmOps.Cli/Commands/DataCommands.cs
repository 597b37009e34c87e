using System.CommandLine;
using System.Globalization;
using LlmOps.Datasets;
using LlmOps.DataPrep;
using LlmOps.DataPrep.Ingest;
using LlmOps.DataPrep.Recipes;
using LlmOps.Registry;
using Spectre.Console;

namespace LlmOps.Cli.Commands;

/// <summary><c>llmops data prepare|list|show|diff</c>: versioned, documented training sets.</summary>
internal static class DataCommands
{
    public static Command Build()
    {
        var data = new Command("data", "Prepare raw files into immutable dataset versions; list, show and diff them.");
        data.Subcommands.Add(Prepare());
        data.Subcommands.Add(List());
        data.Subcommands.Add(Show());
        data.Subcommands.Add(Diff());
        return data;
    }

    static Command Prepare()
    {
        var recipe = new Option<FileInfo>("--recipe", "-r") { Description = "Recipe YAML: input mapping, steps, split.", Required = true };
        var inputs = new Option<string[]>("--input", "-i") { Description = "Input file or folder (JSONL, CSV, Parquet, text; repeatable).", Required = true, AllowMultipleArgumentsPerToken = true };
        var name = new Option<string>("--name", "-n") { Description = "Dataset name.", Required = true };
        var threads = new Option<int>("--threads") { Description = "Worker threads (the output is the same for any value).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var skipInvalid = new Option<bool>("--skip-invalid") { Description = "Send malformed rows to rejects.jsonl (counted in the report) instead of stopping." };
        var command = new Command("prepare", "Run a recipe over input files and register the result as a dataset version (same inputs + recipe → same id).")
            { recipe, inputs, name, threads, skipInvalid };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var recipeFile = parse.GetValue(recipe)!;
            if (!recipeFile.Exists) throw new InvalidInputException("--recipe", $"{recipeFile.FullName} does not exist.");
            var datasetName = parse.GetValue(name)!;
            ModelRegistry.ValidateName(datasetName, "--name");
            var inputPaths = parse.GetValue(inputs)!;
            foreach (var path in inputPaths)
            {
                if (!File.Exists(path) && !Directory.Exists(path)) throw new InvalidInputException("--input", $"{Path.GetFullPath(path)} does not exist.");
            }
            var parsedRecipe = Recipe.Load(recipeFile.FullName);
            var totalBytes = SourceFile.Resolve(inputPaths).Sum(s => new FileInfo(s.Path).Length);
            var work = Path.Combine(Path.GetTempPath(), $"llmops-prepare-{Guid.NewGuid():N}");
            try
            {
                var prepared = await RunWithProgressAsync(output, totalBytes, progress => new DatasetPreparer().PrepareAsync(inputPaths, parsedRecipe, work, new PrepareOptions
                {
                    Threads = parse.GetValue(threads),
                    SkipInvalid = parse.GetValue(skipInvalid),
                    RecipeDirectory = recipeFile.DirectoryName,
                    Progress = progress,
                }, ct));
                var files = new List<ArtifactFile>();
                foreach (var path in Directory.EnumerateFiles(work).Order(StringComparer.Ordinal))
                {
                    await using var stream = File.OpenRead(path);
                    var blob = await session.Upload(stream, ct);
                    files.Add(new ArtifactFile(Path.GetFileName(path), blob.Sha256, blob.Size));
                }
                var version = await session.Datasets.RegisterAsync(new RegisterDataset(datasetName, files), ct);
                output.Write(new { version, report = prepared.Report }, _ => new Rows(
                    new Markup($"Dataset [green]{Markup.Escape(version.Name)}[/] version [bold]{version.Id}[/]\n"),
                    SplitsTable(version),
                    new Text(Summary(prepared.Report, prepared.Elapsed))));
                return ExitCodes.Ok;
            }
            finally
            {
                if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
            }
        }));
        return command;
    }

    static async Task<PreparedDataset> RunWithProgressAsync(Output output, long totalBytes, Func<IProgress<PrepareProgress>?, Task<PreparedDataset>> run)
    {
        if (output.Json || Console.IsOutputRedirected) return await run(null);
        PreparedDataset? result = null;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("preparing", maxValue: Math.Max(1, totalBytes));
                var progress = new Progress<PrepareProgress>(p =>
                {
                    task.Value = Math.Min(p.BytesRead, task.MaxValue);
                    task.Description = string.Create(CultureInfo.InvariantCulture,
                        $"{p.RecordsRead:N0} records · {p.RecordsPerSecond:N0} rec/s · {p.MegabytesPerSecond:N1} MB/s");
                });
                result = await run(progress);
                task.Value = task.MaxValue;
            });
        return result!;
    }

    static string Summary(QualityReport report, TimeSpan elapsed)
    {
        var lines = new List<string> { string.Create(CultureInfo.InvariantCulture, $"{report.RecordsRead:N0} records read in {elapsed.TotalSeconds:N1} s; rejected {report.Rejected:N0}.") };
        foreach (var step in report.Steps)
        {
            var dropped = step.Dropped.Count == 0 ? "" : " dropped " + string.Join(", ", step.Dropped.Select(d => $"{d.Key}={d.Value}"));
            var found = step.Findings.Count == 0 ? "" : " found " + string.Join(", ", step.Findings.Select(d => $"{d.Key}={d.Value}"));
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"  {step.Name}: {step.In:N0} → {step.Out:N0}{dropped}{found}"));
        }
        return string.Join('\n', lines) + "\n";
    }

    static Table SplitsTable(DatasetVersion version)
    {
        var table = Output.Table("split", "records", "tokens", "bytes", "sha256");
        foreach (var s in version.Splits)
            table.AddRow(s.Name, s.Records.ToString("N0", CultureInfo.InvariantCulture), s.Tokens.ToString("N0", CultureInfo.InvariantCulture), s.Bytes.ToString("N0", CultureInfo.InvariantCulture), s.Sha256[..16]);
        return table;
    }

    static Command List()
    {
        var name = new Option<string?>("--name") { Description = "Only versions of this dataset." };
        var command = new Command("list", "List dataset versions, newest first.") { name };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var versions = await session.Datasets.ListAsync(parse.GetValue(name), ct);
            output.Write(versions, list =>
            {
                var table = Output.Table("id", "name", "records", "splits", "sources", "created", "by");
                foreach (var v in list)
                {
                    table.AddRow(v.Id[..16], Markup.Escape(v.Name), v.Records.ToString("N0", CultureInfo.InvariantCulture),
                        string.Join(" ", v.Splits.Select(s => $"{s.Name}={s.Records}")), v.Sources.Count.ToString(CultureInfo.InvariantCulture), Output.Time(v.CreatedAt), Markup.Escape(v.CreatedBy));
                }
                return table;
            });
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command Show()
    {
        var id = new Argument<string>("ID") { Description = "Dataset version id (or a unique prefix of 8+ hex digits)." };
        var command = new Command("show", "Show a dataset version: splits, sources, files, recipe.") { id };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var version = await session.Datasets.GetAsync(parse.GetValue(id)!, ct);
            output.Write(version, v =>
            {
                var sources = Output.Table("source", "bytes", "sha256");
                foreach (var s in v.Sources) sources.AddRow(Markup.Escape(s.Name), s.Bytes.ToString("N0", CultureInfo.InvariantCulture), s.Sha256[..16]);
                var files = Output.Table("file", "bytes", "sha256");
                foreach (var f in v.Files) files.AddRow(Markup.Escape(f.Name), f.Size.ToString("N0", CultureInfo.InvariantCulture), f.Sha256[..16]);
                return new Rows(Output.Fields([("id", v.Id), ("name", v.Name), ("created", $"{Output.Time(v.CreatedAt)} by {v.CreatedBy}"), ("recipe", v.RecipeJson)]),
                    SplitsTable(v), sources, files);
            });
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command Diff()
    {
        var from = new Argument<string>("FROM") { Description = "Older dataset version id." };
        var to = new Argument<string>("TO") { Description = "Newer dataset version id." };
        var command = new Command("diff", "Count records added, removed and unchanged between two versions.") { from, to };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var diff = await session.Datasets.DiffAsync(parse.GetValue(from)!, parse.GetValue(to)!, ct);
            output.Write(diff, d =>
            {
                var table = Output.Table("split", "added", "removed", "unchanged");
                foreach (var s in d.Splits) table.AddRow(s.Split, $"[green]+{s.Added}[/]", $"[red]-{s.Removed}[/]", s.Unchanged.ToString(CultureInfo.InvariantCulture));
                table.AddRow("[bold]all[/]", $"[green]+{d.Added}[/]", $"[red]-{d.Removed}[/]", d.Unchanged.ToString(CultureInfo.InvariantCulture));
                return table;
            });
            return ExitCodes.Ok;
        }));
        return command;
    }
}
