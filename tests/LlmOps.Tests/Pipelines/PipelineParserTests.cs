using LlmOps.Pipelines;

namespace LlmOps.Tests.Pipelines;

public class PipelineParserTests
{
    const string Valid = """
        name: ct-flow
        params:
          dataset_name: demo
        triggers:
          - cron: "0 3 * * *"
          - dataset: demo
        steps:
          - id: prepare
            type: data.prepare
            with:
              recipe: recipe.yaml
              input: [a.jsonl, b.jsonl]
              name: ${params.dataset_name}
          - id: train
            type: train
            with:
              config: train.yaml
              dataset: ${steps.prepare.outputs.dataset_version}
            retries: 2
            retry_backoff: 10s
            timeout: 30m
            queue: gpu
          - id: evaluate
            type: evaluate
            with: { suite: suite.yaml, model: "${steps.train.outputs.model_version}" }
          - id: qa
            type: promote
            when: ${steps.evaluate.outputs.gate} == 'passed'
            with: { model_version: "${steps.train.outputs.model_version}", environment: qa }
        """;

    static InvalidInputException Invalid(string yaml) => Assert.Throws<InvalidInputException>(() => PipelineParser.Parse(yaml, "p.yaml"));

    [Fact]
    public void Parse_ValidPipeline_StepsWithInferredNeedsRetriesAndTriggers()
    {
        var pipeline = PipelineParser.Parse(Valid, "p.yaml");
        Assert.Equal("ct-flow", pipeline.Name);
        Assert.Equal(["prepare", "train", "evaluate", "qa"], pipeline.Steps.Select(s => s.Id));
        Assert.Equal(["prepare"], pipeline.Step("train").Needs);
        Assert.Equal(["evaluate", "train"], pipeline.Step("qa").Needs.Order());
        Assert.Equal(2, pipeline.Step("train").Retries);
        Assert.Equal(TimeSpan.FromSeconds(10), pipeline.Step("train").RetryBackoff);
        Assert.Equal(TimeSpan.FromMinutes(30), pipeline.Step("train").Timeout);
        Assert.Equal("gpu", pipeline.Step("train").Queue);
        Assert.Equal("a.jsonl\nb.jsonl", pipeline.Step("prepare").With["input"]);
        Assert.Equal([new PipelineTrigger("cron", "0 3 * * *"), new PipelineTrigger("dataset", "demo")], pipeline.Triggers);
    }

    [Fact]
    public void Parse_UnknownStepType_NamesStepTypeAndLine()
    {
        var error = Invalid(Valid.Replace("type: evaluate", "type: evalute", StringComparison.Ordinal));
        Assert.Contains("unknown step type 'evalute'", error.Message, StringComparison.Ordinal);
        Assert.Contains("steps.evaluate.type", error.Message, StringComparison.Ordinal);
        Assert.Contains("p.yaml line 24", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ReferenceToMissingOutput_NamesStepFieldAndOutputs()
    {
        var error = Invalid(Valid.Replace("outputs.dataset_version", "outputs.dataset", StringComparison.Ordinal));
        Assert.Contains("steps.train.with.dataset", error.Message, StringComparison.Ordinal);
        Assert.Contains("has no output 'dataset'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ReferenceToMissingStepOrParam_Rejected()
    {
        Assert.Contains("names no step 'trian'", Invalid(Valid.Replace("${steps.train.outputs.model_version}\", environment", "${steps.trian.outputs.model_version}\", environment", StringComparison.Ordinal)).Message, StringComparison.Ordinal);
        Assert.Contains("names no parameter", Invalid(Valid.Replace("${params.dataset_name}", "${params.dataset}", StringComparison.Ordinal)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Cycle_NamesTheCycle()
    {
        var yaml = """
            name: loop
            steps:
              - { id: a, type: shell, with: { command: "echo ${steps.b.outputs.x}" } }
              - { id: b, type: shell, with: { command: "echo ${steps.a.outputs.y}" } }
            """;
        var error = Invalid(yaml);
        Assert.Contains("cycle", error.Message, StringComparison.Ordinal);
        Assert.Contains("a → b → a", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("retries: 2", "retrys: 2", "unknown key 'retrys'")]
    [InlineData("config: train.yaml", "confg: train.yaml", "has no input 'confg'")]
    [InlineData("timeout: 30m", "timeout: soon", "duration")]
    [InlineData("\"0 3 * * *\"", "\"61 3 * * *\"", "not a cron expression")]
    [InlineData("when: ${steps.evaluate.outputs.gate} == 'passed'", "when: ${steps.evaluate.outputs.gate} == ", "ends where a value is expected")]
    [InlineData("queue: gpu", "queue: GPU!", "not a valid queue name")]
    public void Parse_BadField_RejectedNamingIt(string from, string to, string expected) =>
        Assert.Contains(expected, Invalid(Valid.Replace(from, to, StringComparison.Ordinal)).Message, StringComparison.Ordinal);

    [Fact]
    public void Parse_MissingRequiredInput_Rejected() =>
        Assert.Contains("needs input 'suite'", Invalid(Valid.Replace("suite: suite.yaml, ", "", StringComparison.Ordinal)).Message, StringComparison.Ordinal);

    [Fact]
    public void Parse_DuplicateStepId_Rejected() =>
        Assert.Contains("used twice", Invalid(Valid.Replace("id: qa", "id: train", StringComparison.Ordinal)).Message, StringComparison.Ordinal);
}

public class PipelineExpressionsTests
{
    static string Resolve(PipelineExpressions.Reference r) => (r.Kind, r.Step, r.Name) switch
    {
        ("steps", "evaluate", "gate") => "passed",
        ("steps", "evaluate", "score") => "0.90",
        ("params", _, "deploy") => "false",
        _ => "",
    };

    [Theory]
    [InlineData("${steps.evaluate.outputs.gate} == 'passed'", true)]
    [InlineData("${steps.evaluate.outputs.gate} != 'passed'", false)]
    [InlineData("${steps.evaluate.outputs.score} >= 0.9", true)]
    [InlineData("${steps.evaluate.outputs.score} > 0.9", false)]
    [InlineData("${steps.evaluate.outputs.gate} == 'passed' && ${params.deploy}", false)]
    [InlineData("${steps.evaluate.outputs.gate} == 'passed' && !${params.deploy}", true)]
    [InlineData("(${params.deploy} || ${steps.evaluate.outputs.score} < 1) && true", true)]
    public void ParseCondition_Evaluate_AsWritten(string text, bool expected) =>
        Assert.Equal(expected, PipelineExpressions.ParseCondition(text).IsTrue(Resolve));

    [Fact]
    public void Interpolate_References_ReplacedInPlace() =>
        Assert.Equal("gate=passed score=0.90", PipelineExpressions.Interpolate("gate=${steps.evaluate.outputs.gate} score=${ steps.evaluate.outputs.score }", Resolve));

    [Theory]
    [InlineData("${steps.x}")]
    [InlineData("${env.HOME}")]
    [InlineData("${params.a")]
    public void References_Malformed_FormatException(string text) => Assert.Throws<FormatException>(() => PipelineExpressions.References(text));
}

public class DefaultPipelineTests
{
    [Fact]
    public void ShippedDefaultPipeline_IsValid_AndGatesProdBehindApprovalAndCanary()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "pipelines", "llmops-default.yaml");
        var pipeline = PipelineParser.Load(path);
        Assert.Equal("llmops-default", pipeline.Name);
        Assert.Contains("approval", pipeline.Step("prod").Needs);
        Assert.Contains("watch", pipeline.Step("promote").Needs);
        Assert.Equal(new PipelineTrigger("dataset", "corpus"), Assert.Single(pipeline.Triggers));
    }
}
