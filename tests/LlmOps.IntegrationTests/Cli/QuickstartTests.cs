using System.Text.Json;

namespace LlmOps.IntegrationTests.Cli;

/// <summary>The first five minutes, as a user lives them: quickstart on an empty data directory stops for approval; the
/// reviewer approves; the fine-tuned model is in prod.</summary>
public sealed class QuickstartTests : IDisposable
{
    readonly TempFolder work = new("llmops-quickstart");

    public void Dispose() => work.Dispose();

    Task<CliProcess.Result> Llmops(params string[] args) => CliProcess.RunAsync(TimeSpan.FromMinutes(6), [.. args, "--data-dir", work.PathOf("data")]);

    [Fact]
    public async Task Quickstart_ImprovesOnTheDemoSuite_StopsForApproval_ReviewerApprovesToProd()
    {
        var quickstart = await Llmops("quickstart", "--json");
        Assert.True(quickstart.ExitCode == 0, quickstart.ToString());
        var result = JsonDocument.Parse(quickstart.Stdout).RootElement;
        Assert.Equal("WaitingForApproval", result.GetProperty("run").GetProperty("status").GetString());
        double Score(string step) => double.Parse(result.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("stepId").GetString() == step)
            .GetProperty("outputs").GetProperty("score").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Score("evaluate_base") <= 0.1, $"base {Score("evaluate_base")}");
        Assert.True(Score("evaluate") >= 0.8, $"fine-tuned {Score("evaluate")}");
        Assert.True(File.Exists(work.PathOf("data/admin.key")));

        var runId = result.GetProperty("run").GetProperty("id").GetString()!;
        var self = await Llmops("approve", runId, "-m", "my own work");
        Assert.Equal(2, self.ExitCode); // the local admin started the run: four eyes

        var approve = await Llmops("approve", runId, "-m", "read the eval report", "--api-key", result.GetProperty("reviewerKey").GetString()!);
        Assert.True(approve.ExitCode == 0, approve.ToString());
        var prod = await Llmops("models", "show", "demo-chat@prod", "--json");
        Assert.True(prod.ExitCode == 0, prod.ToString());
        Assert.Equal("Approved", JsonDocument.Parse(prod.Stdout).RootElement.GetProperty("version").GetProperty("approvalState").GetString());
    }
}
