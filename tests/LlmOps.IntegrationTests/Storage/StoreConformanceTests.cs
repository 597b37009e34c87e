using LlmOps.Audit;
using LlmOps.Datasets;
using LlmOps.Deployments;
using LlmOps.Identity;
using LlmOps.Registry;
using LlmOps.Runs;
using LlmOps.Storage;
using static LlmOps.IntegrationTests.Storage.StoreUnderTest;

namespace LlmOps.IntegrationTests.Storage;

/// <summary>The storage conformance suite: written once, run against SQLite and PostgreSQL through the Core services.</summary>
public abstract class StoreConformanceTests
{
    protected abstract Task<StoreUnderTest> StartAsync();

    async Task<ModelVersion> RegisterAsync(StoreUnderTest t, string model = "tiny", string content = "gguf-bytes")
    {
        var file = await t.FileAsync("model.gguf", content);
        return await t.Registry(Developer).RegisterVersionAsync(new RegisterVersion(model, ModelFormats.Gguf, [file]));
    }

    [SkippableFact]
    public async Task MigrateAsync_Twice_IsIdempotent()
    {
        await using var t = await StartAsync();
        await t.Store.MigrateAsync();
        await t.Store.MigrateAsync();
        Assert.Equal((long)LlmOps.Storage.Sql.Migrations.All.Count, await t.ScalarRawAsync<long>("SELECT COUNT(*) FROM schema_migrations"));
    }

    [SkippableFact]
    public async Task RegisterVersionAsync_TwoVersions_NumberedWithLineageAndFiles()
    {
        await using var t = await StartAsync();
        var run = await t.Runs(Developer).StartRunAsync(new StartRun("pretrain"));
        var dataset = await t.Datasets(Developer).RegisterAsync(new RegisterDataset("corpus", await t.PrepareAsync(Texts(0, 20))));
        var first = await RegisterAsync(t);
        var file = await t.FileAsync("adapter.gguf", "lora");
        var second = await t.Registry(Developer).RegisterVersionAsync(new RegisterVersion("tiny", ModelFormats.Lora, [file], null,
            new ModelLineage("tiny", 1, dataset.Id, run.Id), new Dictionary<string, double> { ["val_loss"] = 1.25 },
            new Dictionary<string, string> { ["task"] = "qa" }, "# Tiny\nA card."));

        Assert.Equal(1, first.Version);
        Assert.Equal(2, second.Version);
        var loaded = await t.Registry(Viewer).GetVersionAsync("tiny", 2);
        Assert.Equal(new ModelLineage("tiny", 1, dataset.Id, run.Id), loaded.Lineage);
        Assert.Equal(1.25, loaded.Metrics["val_loss"]);
        Assert.Equal("qa", loaded.Tags["task"]);
        Assert.Equal("# Tiny\nA card.", loaded.ModelCard);
        Assert.Equal(file, Assert.Single(loaded.Files));
        Assert.Equal(ApprovalState.None, loaded.ApprovalState);
        Assert.Equal(2, (await t.Registry(Viewer).ListVersionsAsync("tiny")).Count);
    }

    [SkippableFact]
    public async Task RegisterVersionAsync_MissingBlob_RefusedAndNothingWritten()
    {
        await using var t = await StartAsync();
        var ghost = new ArtifactFile("model.gguf", new string('a', 64), 1);
        var error = await Assert.ThrowsAsync<InvalidInputException>(() =>
            t.Registry(Developer).RegisterVersionAsync(new RegisterVersion("tiny", ModelFormats.Gguf, [ghost])));
        Assert.Equal("files[0].sha256", error.Field);
        Assert.Empty(await t.Registry(Viewer).ListModelsAsync());
    }

    [SkippableFact]
    public async Task RegisterVersionAsync_UnknownBaseVersion_NotFoundAndNoModelCreated()
    {
        await using var t = await StartAsync();
        var file = await t.FileAsync("model.gguf", "x");
        await Assert.ThrowsAsync<NotFoundException>(() => t.Registry(Developer).RegisterVersionAsync(
            new RegisterVersion("child", ModelFormats.Gguf, [file], Lineage: new ModelLineage("base", 7))));
        Assert.Empty(await t.Registry(Viewer).ListModelsAsync());
    }

    [SkippableFact]
    public async Task Session_DisposedWithoutCommit_RollsBackEverything()
    {
        await using var t = await StartAsync();
        await using (var session = await t.Store.OpenAsync(write: true))
        {
            await session.Models.InsertModelAsync(new RegisteredModel("half", null, new Dictionary<string, string>(), t.Time.GetUtcNow(), "x", new Dictionary<string, int>()));
        }
        Assert.Empty(await t.Registry(Viewer).ListModelsAsync());
    }

    [SkippableFact]
    public async Task ApprovalFlow_RequestedThenApprovedByAnotherApprover_ApprovedWithHistoryAndEvidence()
    {
        await using var t = await StartAsync();
        await RegisterAsync(t);
        var pending = await t.Registry(Developer).RequestApprovalAsync("tiny", 1, new ApprovalDecision("eval passed", [new Evidence("evaluation", "eval-42", "accuracy 0.91")]));
        Assert.Equal(ApprovalState.PendingManualApproval, pending.ApprovalState);

        var approved = await t.Registry(Approver1).ApproveAsync("tiny", 1, new ApprovalDecision("looked at the report"));
        Assert.Equal(ApprovalState.Approved, approved.ApprovalState);
        Assert.Equal(ApprovalState.Approved, (await t.Registry(Viewer).GetVersionAsync("tiny", 1)).ApprovalState);

        var history = await t.Registry(Viewer).ListApprovalEventsAsync("tiny", 1);
        Assert.Equal([ApprovalAction.Requested, ApprovalAction.Approved], history.Select(e => e.Action));
        Assert.Equal(["dev-1", "appr-1"], history.Select(e => e.ActorId));
        Assert.Equal("eval-42", Assert.Single(history[0].Evidence).Reference);
    }

    [SkippableFact]
    public async Task ApproveAsync_ByTheApproverWhoRequested_RefusedByFourEyes()
    {
        await using var t = await StartAsync();
        await RegisterAsync(t);
        await t.Registry(Approver1).RequestApprovalAsync("tiny", 1, new ApprovalDecision("please review"));

        var error = await Assert.ThrowsAsync<RuleViolationException>(() => t.Registry(Approver1).ApproveAsync("tiny", 1, new ApprovalDecision("self-approve")));
        Assert.Equal("four-eyes", error.Rule);
        Assert.Equal(ApprovalState.PendingManualApproval, (await t.Registry(Viewer).GetVersionAsync("tiny", 1)).ApprovalState);
        await Assert.ThrowsAsync<RuleViolationException>(() => t.Registry(Approver1).RejectAsync("tiny", 1, new ApprovalDecision("self-reject")));

        var approved = await t.Registry(Approver2).ApproveAsync("tiny", 1, new ApprovalDecision("second pair of eyes"));
        Assert.Equal(ApprovalState.Approved, approved.ApprovalState);
    }

    [SkippableFact]
    public async Task ApproveAsync_ByDeveloper_PermissionDenied()
    {
        await using var t = await StartAsync();
        await RegisterAsync(t);
        await t.Registry(Developer).RequestApprovalAsync("tiny", 1, new ApprovalDecision("please"));
        await Assert.ThrowsAsync<PermissionDeniedException>(() => t.Registry(Developer).ApproveAsync("tiny", 1, new ApprovalDecision("mine")));
        await Assert.ThrowsAsync<PermissionDeniedException>(() => t.Registry(Viewer).RegisterVersionAsync(new RegisterVersion("tiny", ModelFormats.Remote, SourceUri: "http://x")));
    }

    [SkippableFact]
    public async Task ApproveAsync_NotPending_IllegalTransition()
    {
        await using var t = await StartAsync();
        await RegisterAsync(t);
        var error = await Assert.ThrowsAsync<RuleViolationException>(() => t.Registry(Approver1).ApproveAsync("tiny", 1, new ApprovalDecision("ok")));
        Assert.Equal("illegal-transition", error.Rule);
        await Assert.ThrowsAsync<InvalidInputException>(() => t.Registry(Developer).RequestApprovalAsync("tiny", 1, new ApprovalDecision("  ")));
    }

    [SkippableFact]
    public async Task RejectedVersion_RequestedAgainAndApproved_EndsApproved()
    {
        await using var t = await StartAsync();
        await RegisterAsync(t);
        await t.Registry(Developer).RequestApprovalAsync("tiny", 1, new ApprovalDecision("v1"));
        var rejected = await t.Registry(Approver1).RejectAsync("tiny", 1, new ApprovalDecision("accuracy too low on safety pack"));
        Assert.Equal(ApprovalState.Rejected, rejected.ApprovalState);
        await t.Registry(Developer).RequestApprovalAsync("tiny", 1, new ApprovalDecision("re-evaluated"));
        await t.Registry(Approver2).ApproveAsync("tiny", 1, new ApprovalDecision("fine now"));
        Assert.Equal(4, (await t.Registry(Viewer).ListApprovalEventsAsync("tiny", 1)).Count);
    }

    [SkippableFact]
    public async Task PromoteAsync_UnapprovedToProd_RefusedButDevAndQaAllowed()
    {
        await using var t = await StartAsync();
        await RegisterAsync(t);
        await t.Registry(Developer).PromoteAsync("tiny", 1, Environments.Dev);
        await t.Registry(Developer).PromoteAsync("tiny", 1, Environments.Qa);

        var error = await Assert.ThrowsAsync<RuleViolationException>(() => t.Registry(Developer).PromoteAsync("tiny", 1, Environments.Prod));
        Assert.Equal("prod-requires-approval", error.Rule);
        var model = await t.Registry(Viewer).GetModelAsync("tiny");
        Assert.Equal(new Dictionary<string, int> { ["dev"] = 1, ["qa"] = 1 }, model.Aliases);
        await Assert.ThrowsAsync<InvalidInputException>(() => t.Registry(Developer).PromoteAsync("tiny", 1, "staging"));
    }

    [SkippableFact]
    public async Task PromoteAsync_ApprovedToProd_MovesAliasAndRecordsEachMove()
    {
        await using var t = await StartAsync();
        await RegisterAsync(t);
        await RegisterAsync(t, content: "v2");
        foreach (var v in new[] { 1, 2 })
        {
            await t.Registry(Developer).RequestApprovalAsync("tiny", v, new ApprovalDecision("ok?"));
            await t.Registry(Approver1).ApproveAsync("tiny", v, new ApprovalDecision("ok"));
        }
        await t.Registry(Developer).PromoteAsync("tiny", 1, Environments.Prod);
        t.Time.Advance(TimeSpan.FromMinutes(1));
        await t.Registry(Developer).PromoteAsync("tiny", 2, Environments.Prod);

        Assert.Equal(2, (await t.Registry(Viewer).ResolveAsync("tiny@prod")).Version);
        var moves = await t.Registry(Viewer).ListAliasMovesAsync("tiny");
        Assert.Equal([(null, 1), (1, 2)], moves.Select(m => (m.FromVersion, m.ToVersion)));
        await Assert.ThrowsAsync<NotFoundException>(() => t.Registry(Viewer).ResolveAsync("tiny@qa"));
    }

    [SkippableFact]
    public async Task ConcurrentRegistrations_EachGetsItsOwnNumberAndTheChainStaysIntact()
    {
        await using var t = await StartAsync();
        var files = new List<ArtifactFile>();
        for (var i = 0; i < 8; i++) files.Add(await t.FileAsync("model.gguf", $"weights {i}"));
        var versions = await Task.WhenAll(files.Select(f => Task.Run(() => t.Registry(Developer).RegisterVersionAsync(new RegisterVersion("busy", ModelFormats.Gguf, [f])))));

        Assert.Equal(Enumerable.Range(1, 8), versions.Select(v => v.Version).Order());
        var verification = await t.Audit(Actor.LocalAdmin).VerifyAsync();
        Assert.True(verification.IsIntact, verification.Problem);
        Assert.Equal(9, verification.EntriesChecked); // model.create + 8 registrations
    }

    [SkippableFact]
    public async Task AuditVerify_RowAlteredInDatabase_FailsAtThatRow()
    {
        await using var t = await StartAsync();
        await RegisterAsync(t);
        await t.Registry(Developer).RequestApprovalAsync("tiny", 1, new ApprovalDecision("review"));
        await t.Registry(Approver1).ApproveAsync("tiny", 1, new ApprovalDecision("ok"));
        var before = await t.Audit(Actor.LocalAdmin).VerifyAsync();
        Assert.True(before.IsIntact, before.Problem);
        Assert.Equal(4, before.EntriesChecked);

        await t.ExecuteRawAsync("UPDATE audit_log SET actor_id = 'mallory' WHERE sequence = 3");

        var after = await t.Audit(Actor.LocalAdmin).VerifyAsync();
        Assert.False(after.IsIntact);
        Assert.Equal(3, after.FirstBrokenSequence);
    }

    [SkippableFact]
    public async Task AuditVerify_RowRemoved_FailsAtTheGapOrTheTail()
    {
        await using var t = await StartAsync();
        await RegisterAsync(t);
        await RegisterAsync(t, content: "2");
        await RegisterAsync(t, content: "3");

        await t.ExecuteRawAsync("DELETE FROM audit_log WHERE sequence = 4");
        var tail = await t.Audit(Actor.LocalAdmin).VerifyAsync();
        Assert.False(tail.IsIntact);
        Assert.Equal(4, tail.FirstBrokenSequence);

        await t.ExecuteRawAsync("DELETE FROM audit_log WHERE sequence = 2");
        var gap = await t.Audit(Actor.LocalAdmin).VerifyAsync();
        Assert.False(gap.IsIntact);
        Assert.Equal(3, gap.FirstBrokenSequence);
    }

    [SkippableFact]
    public async Task AuditList_ByNonAdmin_Denied()
    {
        await using var t = await StartAsync();
        await Assert.ThrowsAsync<PermissionDeniedException>(() => t.Audit(Approver1).VerifyAsync());
    }

    [SkippableFact]
    public async Task Runs_LogParamsMetricsArtifactsAndEnd_ReadBackAndClosed()
    {
        await using var t = await StartAsync();
        var runs = t.Runs(Developer);
        var run = await runs.StartRunAsync(new StartRun("pretrain", "baseline", Params: new Dictionary<string, string> { ["lr"] = "3e-4" }));
        await runs.LogParamsAsync(run.Id, new Dictionary<string, string> { ["seed"] = "42", ["lr"] = "3e-4" });
        await runs.LogMetricsAsync(run.Id, [new("loss", 0, 5.5, default), new("loss", 10, 3.25, default), new("loss", 20, 2.5, default), new("lr", 20, 1e-4, default)]);
        var blob = await t.FileAsync("checkpoint.bin", "ckpt");
        await runs.LogArtifactAsync(run.Id, "checkpoints/step-20.bin", blob.Sha256);
        var ended = await runs.EndRunAsync(run.Id, RunStatus.Finished);

        Assert.Equal(RunStatus.Finished, ended.Status);
        var details = await t.Runs(Viewer).GetRunAsync(run.Id);
        Assert.Equal("42", details.Run.Params["seed"]);
        Assert.Equal(2.5, details.LatestMetrics["loss"].Value);
        Assert.Equal(20, details.LatestMetrics["loss"].Step);
        Assert.Equal("checkpoints/step-20.bin", Assert.Single(details.Artifacts).Name);
        Assert.Equal([0L, 10L, 20L], (await t.Runs(Viewer).GetMetricHistoryAsync(run.Id, "loss")).Select(p => p.Step));
        Assert.NotNull(details.Run.EndedAt);

        var closed = await Assert.ThrowsAsync<RuleViolationException>(() => runs.LogMetricsAsync(run.Id, [new("loss", 30, 1, default)]));
        Assert.Equal("run-finished", closed.Rule);
    }

    [SkippableFact]
    public async Task Runs_ParamChanged_RefusedAsWriteOnce()
    {
        await using var t = await StartAsync();
        var runs = t.Runs(Developer);
        var run = await runs.StartRunAsync(new StartRun(Params: new Dictionary<string, string> { ["lr"] = "0.1" }));
        var error = await Assert.ThrowsAsync<RuleViolationException>(() => runs.LogParamsAsync(run.Id, new Dictionary<string, string> { ["lr"] = "0.2" }));
        Assert.Contains("lr", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidInputException>(() => runs.LogMetricsAsync(run.Id, [new("loss", 1, double.NaN, default)]));
    }

    [SkippableFact]
    public async Task Runs_ListAndCompare_FilterAndPickBest()
    {
        await using var t = await StartAsync();
        var runs = t.Runs(Developer);
        var a = await runs.StartRunAsync(new StartRun("sft", Params: new Dictionary<string, string> { ["lr"] = "1e-3" }));
        t.Time.Advance(TimeSpan.FromSeconds(1));
        var b = await runs.StartRunAsync(new StartRun("sft", Params: new Dictionary<string, string> { ["lr"] = "1e-4" }));
        t.Time.Advance(TimeSpan.FromSeconds(1));
        await runs.StartRunAsync(new StartRun("other"));
        await runs.LogMetricsAsync(a.Id, [new("val_loss", 5, 1.9, default)]);
        await runs.LogMetricsAsync(b.Id, [new("val_loss", 5, 1.4, default)]);

        var sft = await t.Runs(Viewer).ListRunsAsync(new RunQuery("sft"));
        Assert.Equal([b.Id, a.Id], sft.Select(r => r.Id));
        var comparison = await t.Runs(Viewer).CompareAsync([a.Id, b.Id]);
        Assert.Equal(1, comparison.Metrics.Single().BestIndex);
        await Assert.ThrowsAsync<NotFoundException>(() => t.Runs(Viewer).CompareAsync([a.Id, "nope"]));
    }

    [SkippableFact]
    public async Task Keys_CreateAuthenticateRevoke_RevokedKeyNoLongerAuthenticates()
    {
        await using var t = await StartAsync();
        var admin = t.Keys(Actor.LocalAdmin);
        var created = await admin.CreateAsync(new CreateApiKey("ci", Role.Developer, ["models", "runs:read"]));
        var authenticator = new ApiKeyAuthenticator(t.Store);

        var actor = await authenticator.AuthenticateAsync(created.Secret);
        Assert.NotNull(actor);
        Assert.Equal(Role.Developer, actor.Role);
        Assert.Equal(["models", "runs:read"], actor.Scopes);
        Assert.Null(await authenticator.AuthenticateAsync(created.Secret[..^2] + "xx"));

        await admin.RevokeAsync(created.Key.Id);
        Assert.Null(await authenticator.AuthenticateAsync(created.Secret));
        Assert.True((await admin.ListAsync()).Single(k => k.Id == created.Key.Id).IsRevoked);
        await Assert.ThrowsAsync<PermissionDeniedException>(() => t.Keys(Approver1).CreateAsync(new CreateApiKey("x", Role.Admin)));
    }

    [SkippableFact]
    public async Task Keys_SecretNeverStored_OnlyItsHash()
    {
        await using var t = await StartAsync();
        var created = await t.Keys(Actor.LocalAdmin).CreateAsync(new CreateApiKey("ci", Role.Viewer));
        var secret = created.Secret[(created.Secret.LastIndexOf('_') + 1)..];
        Assert.Equal(0L, await t.ScalarRawAsync<long>("SELECT COUNT(*) FROM api_keys WHERE hash LIKE @p OR salt LIKE @p OR name LIKE @p", new { p = $"%{secret}%" }));
        Assert.Equal(0L, await t.ScalarRawAsync<long>("SELECT COUNT(*) FROM audit_log WHERE after_json LIKE @p", new { p = $"%{secret}%" }));
    }

    [SkippableFact]
    public async Task BootstrapAdmin_OnlyWhenNoActiveKey()
    {
        await using var t = await StartAsync();
        var first = await ApiKeyService.BootstrapAdminAsync(t.Store, t.Time);
        Assert.NotNull(first);
        Assert.Equal(Role.Admin, first.Key.Role);
        Assert.Null(await ApiKeyService.BootstrapAdminAsync(t.Store, t.Time));
    }

    static IEnumerable<string> Texts(int from, int count) => Enumerable.Range(from, count).Select(i => $"record number {i} about topic {i % 7}");

    [SkippableFact]
    public async Task Datasets_SamePreparedFilesTwice_OneVersionWhoseIdIsTheManifestHash()
    {
        await using var t = await StartAsync();
        var files = await t.PrepareAsync(Texts(0, 200));
        var first = await t.Datasets(Developer).RegisterAsync(new RegisterDataset("corpus", files));
        var again = await t.Datasets(Developer).RegisterAsync(new RegisterDataset("corpus", await t.PrepareAsync(Texts(0, 200))));

        Assert.Equal(files.Single(f => f.Name == "manifest.json").Sha256, first.Id);
        Assert.Equal(first.Id, again.Id);
        Assert.Single(await t.Datasets(Viewer).ListAsync("corpus"));
        Assert.Equal(200, first.Records);
        Assert.Equal(["train", "validation", "test"], first.Splits.Select(s => s.Name));
        Assert.Equal(first.Id, (await t.Datasets(Viewer).GetAsync(first.Id[..10])).Id);
        Assert.Contains(first.Files, f => f.Name == "report.md");
    }

    [SkippableFact]
    public async Task Datasets_SplitFileNotMatchingManifest_Refused()
    {
        await using var t = await StartAsync();
        var files = (await t.PrepareAsync(Texts(0, 50))).ToList();
        var other = await t.FileAsync("train.jsonl", "{\"text\":\"swapped\"}\n");
        files[files.FindIndex(f => f.Name == "train.jsonl")] = other;
        var error = await Assert.ThrowsAsync<InvalidInputException>(() => t.Datasets(Developer).RegisterAsync(new RegisterDataset("corpus", files)));
        Assert.Contains("train.jsonl", error.Message, StringComparison.Ordinal);
        Assert.Empty(await t.Datasets(Viewer).ListAsync());
    }

    [SkippableFact]
    public async Task Datasets_Diff_CountsAddedRemovedUnchanged()
    {
        await using var t = await StartAsync();
        var a = await t.Datasets(Developer).RegisterAsync(new RegisterDataset("corpus", await t.PrepareAsync(Texts(0, 100))));
        var b = await t.Datasets(Developer).RegisterAsync(new RegisterDataset("corpus", await t.PrepareAsync(Texts(20, 100))));
        var diff = await t.Datasets(Viewer).DiffAsync(a.Id, b.Id);
        Assert.Equal((20L, 20L, 80L), (diff.Added, diff.Removed, diff.Unchanged));
        Assert.Equal(diff.Added, diff.Splits.Sum(s => s.Added));
    }

    [SkippableFact]
    public async Task ModelLineage_DatasetPrefix_ResolvedToFullIdAndUnknownRefused()
    {
        await using var t = await StartAsync();
        var dataset = await t.Datasets(Developer).RegisterAsync(new RegisterDataset("corpus", await t.PrepareAsync(Texts(0, 30))));
        var file = await t.FileAsync("model.gguf", "w");
        var version = await t.Registry(Developer).RegisterVersionAsync(new RegisterVersion("tiny", ModelFormats.Gguf, [file], Lineage: new ModelLineage(DatasetVersion: dataset.Id[..12])));
        Assert.Equal(dataset.Id, version.Lineage.DatasetVersion);
        await Assert.ThrowsAsync<NotFoundException>(() => t.Registry(Developer).RegisterVersionAsync(
            new RegisterVersion("tiny", ModelFormats.Gguf, [file], Lineage: new ModelLineage(DatasetVersion: new string('f', 64)))));
    }

    [SkippableFact]
    public async Task GarbageCollection_KeepsReferencedBlobs()
    {
        await using var t = await StartAsync();
        var version = await RegisterAsync(t);
        var orphan = await t.FileAsync("orphan.bin", "nobody references me");
        t.Time.Advance(TimeSpan.FromHours(2));
        foreach (var path in Directory.EnumerateFiles(((LlmOps.Storage.Artifacts.FileArtifactStore)t.Artifacts).Root, "*", SearchOption.AllDirectories))
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddYears(-1));
        var collected = await new LlmOps.Artifacts.ArtifactGarbageCollector(t.Store, t.Artifacts, Actor.LocalAdmin, t.Time).CollectAsync(TimeSpan.FromHours(1));
        Assert.Equal(1, collected.BlobsDeleted);
        Assert.True(t.Artifacts.Exists(version.Files[0].Sha256));
        Assert.False(t.Artifacts.Exists(orphan.Sha256));
    }

    async Task ApproveAsync(StoreUnderTest t, ModelVersion version)
    {
        await t.Registry(Developer).RequestApprovalAsync(version.ModelName, version.Version, new ApprovalDecision("eval passed"));
        await t.Registry(Approver1).ApproveAsync(version.ModelName, version.Version, new ApprovalDecision("read the report"));
    }

    static DeploymentSpec Spec(params (ModelVersion Version, int Weight)[] versions) =>
        new([.. versions.Select(v => new WeightedVersion(v.Version.ModelName, v.Version.Version, v.Weight))]);

    [SkippableFact]
    public async Task DeploymentSetAsync_TwoChanges_NumberedRevisionsAudited()
    {
        await using var t = await StartAsync();
        var v1 = await RegisterAsync(t);
        var v2 = await RegisterAsync(t, content: "v2");
        var deployments = t.Deployments(Developer);

        var first = await deployments.SetAsync("dev", "chat", Spec((v1, 100)));
        var second = await deployments.SetAsync("dev", "chat", Spec((v1, 90), (v2, 10)) with { Shadow = new VersionRef("tiny", 2), Fallbacks = [new VersionRef("tiny", 1)], TimeoutSeconds = 5 });

        Assert.Equal(1, first.Revision);
        Assert.Equal(2, second.Revision);
        var current = await t.Deployments(Viewer).GetAsync("dev", "chat");
        Assert.Equal(2, current.Revision);
        Assert.Equal([new WeightedVersion("tiny", 1, 90), new WeightedVersion("tiny", 2, 10)], current.Spec.Versions);
        Assert.Equal(new VersionRef("tiny", 2), current.Spec.Shadow);
        Assert.Equal([new VersionRef("tiny", 1)], current.Spec.Fallbacks!);
        Assert.Equal(5, current.Spec.TimeoutSeconds);
        Assert.Equal(2, (await t.Deployments(Viewer).HistoryAsync("dev", "chat")).Count);
        var audit = await t.Audit(Actor.LocalAdmin).ListAsync();
        Assert.Equal(2, audit.Count(e => e.Action == "deployment.set" && e.EntityId == "chat@dev"));
        Assert.True((await t.Audit(Actor.LocalAdmin).VerifyAsync()).IsIntact);
    }

    [SkippableFact]
    public async Task DeploymentSetAsync_ProdWithUnapprovedVersion_RefusedByTheRegistryRule()
    {
        await using var t = await StartAsync();
        var approved = await RegisterAsync(t);
        var unapproved = await RegisterAsync(t, content: "v2");
        await ApproveAsync(t, approved);
        var deployments = t.Deployments(Developer);

        var canary = await Assert.ThrowsAsync<RuleViolationException>(() => deployments.SetAsync("prod", "chat", Spec((approved, 90), (unapproved, 10))));
        Assert.Equal("prod-requires-approval", canary.Rule);
        Assert.Contains("tiny/2", canary.Message, StringComparison.Ordinal);
        var shadow = await Assert.ThrowsAsync<RuleViolationException>(() => deployments.SetAsync("prod", "chat", Spec((approved, 1)) with { Shadow = new VersionRef("tiny", 2) }));
        Assert.Equal("prod-requires-approval", shadow.Rule);
        await Assert.ThrowsAsync<NotFoundException>(() => deployments.GetAsync("prod", "chat"));

        Assert.Equal(1, (await deployments.SetAsync("prod", "chat", Spec((approved, 1)))).Revision);
        Assert.Equal(1, (await deployments.SetAsync("qa", "chat", Spec((unapproved, 1)))).Revision);
    }

    [SkippableFact]
    public async Task DeploymentRollbackAsync_Twice_WalksBackAsNewRevisions()
    {
        await using var t = await StartAsync();
        var v1 = await RegisterAsync(t);
        var v2 = await RegisterAsync(t, content: "v2");
        var v3 = await RegisterAsync(t, content: "v3");
        var deployments = t.Deployments(Developer);
        await deployments.SetAsync("qa", "chat", Spec((v1, 1)));
        await deployments.SetAsync("qa", "chat", Spec((v2, 1)));
        await deployments.SetAsync("qa", "chat", Spec((v3, 1)));

        var back = await deployments.RollbackAsync("qa", "chat");
        Assert.Equal(4, back.Revision);
        Assert.Equal(2, back.RestoredFrom);
        Assert.Equal(DeploymentActions.Rollback, back.Action);
        Assert.Equal(2, back.Spec.Versions[0].Version);
        var again = await deployments.RollbackAsync("qa", "chat");
        Assert.Equal(5, again.Revision);
        Assert.Equal(1, again.Spec.Versions[0].Version);
        var error = await Assert.ThrowsAsync<RuleViolationException>(() => deployments.RollbackAsync("qa", "chat"));
        Assert.Equal("no-previous-revision", error.Rule);
        Assert.Equal(2, (await t.Audit(Actor.LocalAdmin).ListAsync()).Count(e => e.Action == "deployment.rollback" && e.EntityId == "chat@qa"));
    }

    [SkippableFact]
    public async Task DeploymentSetAsync_BadInput_RefusedNamingTheField()
    {
        await using var t = await StartAsync();
        var v1 = await RegisterAsync(t);
        var deployments = t.Deployments(Developer);
        Assert.Equal("environment", (await Assert.ThrowsAsync<InvalidInputException>(() => deployments.SetAsync("staging", "chat", Spec((v1, 1))))).Field);
        Assert.Equal("endpoint", (await Assert.ThrowsAsync<InvalidInputException>(() => deployments.SetAsync("dev", "no spaces", Spec((v1, 1))))).Field);
        Assert.Equal("versions", (await Assert.ThrowsAsync<InvalidInputException>(() => deployments.SetAsync("dev", "chat", Spec((v1, 0))))).Field);
        Assert.Equal("versions[0].weight", (await Assert.ThrowsAsync<InvalidInputException>(() => deployments.SetAsync("dev", "chat", Spec((v1, -1))))).Field);
        await Assert.ThrowsAsync<NotFoundException>(() => deployments.SetAsync("dev", "chat", new DeploymentSpec([new WeightedVersion("tiny", 9)])));
        await Assert.ThrowsAsync<PermissionDeniedException>(() => t.Deployments(Viewer).SetAsync("dev", "chat", Spec((v1, 1))));
        var orphanAdapter = await t.Registry(Developer).RegisterVersionAsync(new RegisterVersion("adapter", ModelFormats.Lora, [await t.FileAsync("adapter.gguf", "lora")]));
        var lora = await Assert.ThrowsAsync<InvalidInputException>(() => deployments.SetAsync("dev", "chat", Spec((orphanAdapter, 1))));
        Assert.Contains("gguf base", lora.Message, StringComparison.Ordinal);
        Assert.Empty(await t.Deployments(Viewer).ListAsync());
    }

    [SkippableFact]
    public async Task DeploymentListAsync_SeveralEndpoints_CurrentRevisionOfEach()
    {
        await using var t = await StartAsync();
        var v1 = await RegisterAsync(t);
        var deployments = t.Deployments(Developer);
        await deployments.SetAsync("dev", "a", Spec((v1, 1)));
        await deployments.SetAsync("dev", "a", Spec((v1, 2)));
        await deployments.SetAsync("qa", "b", Spec((v1, 1)));

        var all = await deployments.ListAsync();
        Assert.Equal(["a@dev", "b@qa"], all.Select(d => d.Name));
        Assert.Equal(2, all[0].Revision);
        Assert.Equal(["b@qa"], (await deployments.ListAsync("qa")).Select(d => d.Name));
    }
}

public sealed class SqliteStoreConformanceTests : StoreConformanceTests
{
    protected override Task<StoreUnderTest> StartAsync() => StoreUnderTest.SqliteAsync();
}

public sealed class PostgresStoreConformanceTests : StoreConformanceTests
{
    protected override Task<StoreUnderTest> StartAsync() => StoreUnderTest.PostgresAsync();
}
