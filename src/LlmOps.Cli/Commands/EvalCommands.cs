using System.CommandLine;
using System.Globalization;
using LlmOps.Evaluation;
using LlmOps.Identity;
using LlmOps.Registry;
using LlmOps.Evaluation.Assertions;
using LlmOps.Evaluation.Reports;
using LlmOps.Evaluation.Safety;
using LlmOps.Inference.Evaluation;
using LlmOps.Inference.LlamaCpp;
using LlmOps.Storage;
using LlmOps.Storage.Artifacts;
using Spectre.Console;

namespace LlmOps.Cli.Commands;

/// <summary><c>llmops eval run</c>: a suite against a candidate (and a baseline), gated; reports as a table, JSON, JUnit XML and HTML.</summary>
internal static class EvalCommands
{
    public static Command Build()
    {
        var eval = new Command("eval", "Evaluate models on a suite and gate them against thresholds and a baseline.");
        eval.Subcommands.Add(Run());
        eval.Subcommands.Add(List());
        eval.Subcommands.Add(Show());
        return eval;
    }

    static Command Run()
    {
        var suiteOption = new Option<string>("--suite", "-s") { Description = "Suite YAML (promptfoo's shape: providers, prompts, tests with vars and assert), or builtin:safety.", Required = true };
        var providerOption = new Option<string?>("--provider", "-p") { Description = "Candidate instead of the suite's first provider: name/VERSION, name@ENV, a .gguf path or openai:MODEL." };
        var baselineOption = new Option<string?>("--baseline", "-b") { Description = "Baseline to compare with (default: the suite's second provider, if any)." };
        var junitOption = new Option<string?>("--junit") { Description = "Write JUnit XML here." };
        var htmlOption = new Option<string?>("--html") { Description = "Write a self-contained HTML report here." };
        var noCacheOption = new Option<bool>("--no-cache") { Description = "Call every provider again instead of reusing cached responses." };
        var concurrencyOption = new Option<int>("--concurrency") { Description = "Calls in flight at once.", DefaultValueFactory = _ => 2 };
        var approvalOption = new Option<string?>("--request-approval") { Description = "When the gate passes, request approval of MODEL/VERSION with this run attached as evidence." };
        var evaluatorsOption = new Option<string[]>("--evaluators")
        {
            Description = "Assembly with custom IEvaluator types, each usable as an assertion type named by its first metric (repeatable).",
            AllowMultipleArgumentsPerToken = false,
        };
        var commentOption = new Option<string?>("--comment", "-m") { Description = "Comment of the approval request (default: the run's one-line verdict)." };
        var command = new Command("run", "Run a suite; exit 0 when the gate passes, 1 when it fails, 2 on a suite or input error.")
        {
            suiteOption, providerOption, baselineOption, junitOption, htmlOption, noCacheOption, concurrencyOption, approvalOption, commentOption, evaluatorsOption,
        };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var suitePath = parse.GetValue(suiteOption)!;
            var concurrency = parse.GetValue(concurrencyOption);
            if (concurrency is < 1 or > 64) throw new InvalidInputException("--concurrency", "use 1 to 64.");
            var storage = CliSession.StorageFor(parse);
            var dataDirectory = new DataDirectory(storage.DataDir).Root;
            var local = parse.GetValue(GlobalOptions.Server) is null && Environment.GetEnvironmentVariable("LLMOPS_SERVER") is null;
            LlamaNativeLog.ErrorsOnly();
            using var cache = new LlamaModelCache(new LlamaCppOptions { Threads = Math.Max(1, Environment.ProcessorCount / concurrency), MaxConcurrentRequests = concurrency });
            using var embeddings = new SentenceEmbeddings();
            var resolver = new EvalTargetResolver(cache, session.Models, local ? new FileArtifactStore(storage.ResolveArtifactsPath()) : null,
                local ? Path.Combine(dataDirectory, "eval-models") : null);
            var types = AssertionTypes.CreateDefault().AddRuntimeAssertions(embeddings, new PerplexityScorer(cache), resolver);
            foreach (var assembly in parse.GetValue(evaluatorsOption) ?? []) EvaluatorPlugins.Register(types, assembly);

            // Every check of the suite happens here, before any model is loaded or called.
            var suite = BuiltinSuites.Load(suitePath, types);
            var baseDirectory = suitePath.StartsWith(BuiltinSuites.Prefix, StringComparison.Ordinal)
                ? Directory.GetCurrentDirectory()
                : Path.GetDirectoryName(Path.GetFullPath(suitePath))!;
            var candidateSpec = parse.GetValue(providerOption) is { } p ? new ProviderSpec(p, null, new Dictionary<string, string>(), 0)
                : suite.Providers.Count > 0 ? suite.Providers[0]
                : throw new InvalidInputException("providers", "the suite lists no provider; add one or pass --provider.");
            var baselineSpec = parse.GetValue(baselineOption) is { } b ? new ProviderSpec(b, $"{b} (baseline)", new Dictionary<string, string>(), 0)
                : parse.GetValue(providerOption) is null && suite.Providers.Count > 1 ? suite.Providers[1] : null;
            var approvalTarget = parse.GetValue(approvalOption) is { } reference ? ModelReference.Parse(reference) : default;

            var candidate = await resolver.ResolveAsync(candidateSpec, baseDirectory, ct);
            var baseline = baselineSpec is null ? null : await resolver.ResolveAsync(baselineSpec, baseDirectory, ct);
            var judge = suite.Judge is null ? null : await resolver.ResolveAsync(suite.Judge, baseDirectory, ct);
            var judges = new Dictionary<string, Microsoft.Extensions.AI.IChatClient>(StringComparer.Ordinal);
            foreach (var name in suite.Tests.SelectMany(t => t.Asserts).Select(a => a.Provider).OfType<string>().Distinct(StringComparer.Ordinal))
                judges[name] = (await resolver.ResolveAsync(new ProviderSpec(name, null, new Dictionary<string, string>(), 0), baseDirectory, ct)).Client;

            var options = new EvalRunOptions
            {
                MaxConcurrency = concurrency,
                Cache = parse.GetValue(noCacheOption) ? null : new FileResponseCache(Path.Combine(dataDirectory, "eval-cache")),
                Judge = judge?.Client,
                Judges = judges,
            };
            var report = await RunWithProgressAsync(output, suite, baseline is not null, options, () => new EvalRunner(types, options).EvaluateAsync(suite, candidate, baseline, cancellationToken: ct));
            foreach (var provider in new[] { report.Candidate, report.Baseline })
            {
                // A provider none of whose calls succeeded is unreachable or misconfigured: an input error (exit 2), not a failed gate.
                if (provider is { Summary.Cases: > 0 } run && run.Summary.Errors == run.Summary.Cases)
                    throw new InvalidInputException("providers", $"{run.Name}: every call failed, e.g. {run.Cases[0].Error}");
            }

            if (parse.GetValue(junitOption) is { } junit) await WriteFileAsync(junit, JUnitReport.Write(report), ct);
            if (parse.GetValue(htmlOption) is { } html) await WriteFileAsync(html, HtmlReport.Write(report), ct);
            output.Write(report, Render);

            if (local)
            {
                var run = await session.EvalHistory().RecordAsync(report, ct);
                output.Info($"Stored as evaluation run [bold]{run.Id}[/] ({Markup.Escape(run.EvidenceReference)}).");
                if (approvalTarget.Name is not null)
                {
                    if (!report.Gate.Passed)
                    {
                        Output.Error($"the gate failed; approval of {parse.GetValue(approvalOption)} was not requested.");
                        return ExitCodes.CheckFailed;
                    }
                    if (approvalTarget.Version is null) throw new InvalidInputException("--request-approval", "name the version: MODEL/VERSION.");
                    var evidence = EvalHistory.ToEvidence(run);
                    var requested = await session.Models.RequestApprovalAsync(approvalTarget.Name, approvalTarget.Version.Value,
                        new ApprovalDecision(parse.GetValue(commentOption) ?? evidence.Summary!, [evidence]), ct);
                    output.Info($"Requested approval of {Markup.Escape(requested.Reference)} with {Markup.Escape(evidence.Reference)} as evidence.");
                }
            }
            else if (approvalTarget.Name is not null)
            {
                throw new InvalidInputException("--request-approval", "evaluation runs are stored in a data directory; run without --server to attach one.");
            }
            return report.Gate.Passed ? ExitCodes.Ok : ExitCodes.CheckFailed;
        }));
        return command;
    }

    static Command List()
    {
        var limit = new Option<int>("--limit") { Description = "At most this many runs, newest first.", DefaultValueFactory = _ => 50 };
        var command = new Command("list", "Stored evaluation runs, newest first.") { limit };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var runs = await session.EvalHistory().ListAsync(parse.GetValue(limit), ct);
            output.Write(runs, list =>
            {
                var table = Output.Table("id", "suite", "candidate", "baseline", "passed", "gate", "started");
                foreach (var r in list)
                {
                    table.AddRow(r.Id, Markup.Escape(r.Suite), Markup.Escape(r.Candidate), Markup.Escape(r.Baseline ?? "-"), $"{N(r.Passed)}/{N(r.Cases)}",
                        r.GatePassed ? "[green]passed[/]" : "[red]failed[/]", Output.Time(r.StartedAt));
                }
                return table;
            });
            return ExitCodes.Ok;
        }));
        return command;
    }

    static Command Show()
    {
        var id = new Argument<string>("RUN") { Description = "Evaluation run id (as eval list prints, or eval-run:ID)." };
        var command = new Command("show", "A stored evaluation run: verdict, summary and every case.") { id };
        command.SetAction(LlmOpsCli.WithSession(async (parse, session, output, ct) =>
        {
            var runId = parse.GetValue(id)!;
            if (runId.StartsWith("eval-run:", StringComparison.Ordinal)) runId = runId["eval-run:".Length..];
            var history = session.EvalHistory();
            var run = await history.GetAsync(runId, ct);
            var cases = await history.ListCasesAsync(runId, ct);
            output.Write(new { run, cases }, shown =>
            {
                var table = Output.Table("role", "test", "prompt", "passed", "score", "output");
                foreach (var c in shown.cases)
                {
                    table.AddRow(c.Role, Markup.Escape(c.TestName + (c.Repeat > 0 ? $" #{c.Repeat + 1}" : "")), Markup.Escape(c.PromptId),
                        c.Passed ? "[green]yes[/]" : "[red]no[/]", F(c.Score), Markup.Escape(AssertionTypes.Short(c.Error ?? c.Output ?? "")));
                }
                return new Rows(Output.Fields([
                    ("run", shown.run.Id), ("suite", $"{shown.run.Suite} ({shown.run.SuiteSha256[..12]})"), ("candidate", $"{shown.run.Candidate} ({shown.run.CandidateVersion})"),
                    ("baseline", shown.run.Baseline is null ? null : $"{shown.run.Baseline} ({shown.run.BaselineVersion})"),
                    ("passed", $"{N(shown.run.Passed)}/{N(shown.run.Cases)}"), ("gate", shown.run.GatePassed ? "passed" : "failed"),
                    ("started", Output.Time(shown.run.StartedAt)), ("by", shown.run.CreatedBy)]), table);
            });
            return ExitCodes.Ok;
        }));
        return command;
    }

    static async Task<EvalReport> RunWithProgressAsync(Output output, EvalSuite suite, bool withBaseline, EvalRunOptions options, Func<Task<EvalReport>> run)
    {
        if (output.Json || Console.IsOutputRedirected) return await run();
        EvalReport? report = null;
        var perProvider = suite.Prompts.Count * suite.Tests.Count * suite.Repeat;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("evaluating", maxValue: perProvider * (withBaseline ? 2 : 1));
                var offsets = new Dictionary<string, int>(StringComparer.Ordinal);
                options.Progress = new Progress<EvalProgress>(p =>
                {
                    if (!offsets.ContainsKey(p.Provider)) offsets[p.Provider] = offsets.Count * perProvider;
                    task.Value = Math.Max(task.Value, offsets[p.Provider] + p.Done);
                    task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{p.Provider}: {p.Done}/{p.Total} · cache hits {p.CacheHits}"));
                });
                report = await run();
                task.Value = task.MaxValue;
            });
        return report!;
    }

    static Spectre.Console.Rendering.IRenderable Render(EvalReport report)
    {
        var table = Output.Table("provider", "cases", "passed", "errors", "pass rate (95% CI)", "score", "metrics", "latency ms", "cached");
        foreach (var run in new[] { report.Candidate, report.Baseline }.OfType<ProviderRun>())
        {
            var s = run.Summary;
            table.AddRow(Markup.Escape(run.Name), N(s.Cases), N(s.Passed), N(s.Errors),
                $"{F(s.PassRate)} ({F(s.PassRateInterval.Lower)}–{F(s.PassRateInterval.Upper)})", F(s.MeanScore),
                Markup.Escape(string.Join(", ", s.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key}={F(m.Value)}"))),
                F(s.MeanLatencyMs), N(s.CacheHits));
        }
        var checks = Output.Table("gate check", "result", "detail");
        foreach (var check in report.Gate.Checks)
            checks.AddRow(Markup.Escape(check.Name), check.Passed ? "[green]pass[/]" : "[red]FAIL[/]", Markup.Escape(check.Detail));
        var failures = report.Candidate.Cases.Where(c => !c.Passed).Take(10).Select(c =>
            new Markup("[red]FAIL[/] " + Markup.Escape($"{c.TestName} [{c.PromptId}{(c.Repeat > 0 ? $" #{c.Repeat + 1}" : "")}]: {c.Error ?? string.Join("; ", c.Assertions.Where(a => !a.Passed).Select(a => $"{a.Type}: {a.Reason}"))}")));
        var verdict = new Markup(report.Gate.Passed ? "[green]Gate passed.[/]" : "[red]Gate failed.[/]");
        return new Rows([table, checks, .. failures, verdict]);
    }

    static async Task WriteFileAsync(string path, string content, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        await File.WriteAllTextAsync(full, content, cancellationToken);
    }

    static string F(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    static string N(int value) => value.ToString(CultureInfo.InvariantCulture);
}
