using LlmOps.Evaluation;
using LlmOps.Evaluation.Assertions;
using LlmOps.Tests.DataPrep;

namespace LlmOps.Tests.Evaluation;

/// <summary>Suite YAML: promptfoo's shape, tests from files, and errors that name test, field and line before any call.</summary>
public sealed class EvalSuiteLoaderTests
{
    static readonly AssertionTypes Types = AssertionTypes.CreateDefault();

    static EvalSuite Parse(string yaml, string? folder = null) => EvalSuiteLoader.Parse(yaml, "suite.yaml", folder ?? Path.GetTempPath(), Types);

    static EvalSuiteException Fails(string yaml) => Assert.Throws<EvalSuiteException>(() => Parse(yaml));

    [Fact]
    public void Parse_PromptfooShape_ReadsEverything()
    {
        var suite = Parse("""
            description: capitals
            providers:
              - tiny-chat/3
              - id: models/tiny.gguf
                label: local
            prompts:
              - "Capital of {{country}}?"
            defaultTest:
              vars: { style: short }
              assert:
                - type: latency
                  threshold: 5000
                  weight: 0
            tests:
              - description: france
                vars: { country: France }
                assert:
                  - type: icontains
                    value: paris
                    weight: 2
                    metric: accuracy
                  - type: not-contains
                    value: London
              - vars: { country: Italy }
                threshold: 0.5
                assert:
                  - type: contains-any
                    value: [Rome, Roma]
            repeat: 3
            options: { temperature: 0.7, max_tokens: 16, seed: 7 }
            gate: { max_regression: 0.1, min_pass_rate: 0.5, metrics: { accuracy: 0.6 } }
            """);

        Assert.Equal("capitals", suite.Description);
        Assert.Equal(["tiny-chat/3", "local"], suite.Providers.Select(p => p.DisplayName));
        Assert.Equal(2, suite.Tests.Count);
        var france = suite.Tests[0];
        Assert.Equal("france", france.Name);
        Assert.Equal("short", france.Vars["style"]);
        Assert.Equal(["latency", "icontains", "not-contains"], france.Asserts.Select(a => a.FullType));
        Assert.Equal("accuracy", france.Asserts[1].MetricName);
        Assert.Equal(2, france.Asserts[1].Weight);
        Assert.Equal(18, france.Asserts[1].Line);
        Assert.Equal("test 2", suite.Tests[1].Name);
        Assert.Equal(0.5, suite.Tests[1].Threshold);
        Assert.Equal(3, suite.Repeat);
        Assert.Equal(new SamplingSpec(0.7f, 16, 7), suite.Sampling);
        Assert.Equal(0.1, suite.Gate.MaxRegression);
        Assert.Equal(0.6, suite.Gate.MinMetrics!["accuracy"]);
    }

    [Fact]
    public void Parse_UnknownAssertionType_NamesTestFieldAndLine()
    {
        var error = Assert.Single(Fails("""
            prompts: ["Say {{x}}"]
            tests:
              - description: one
                vars: { x: hi }
                assert:
                  - type: contians
                    value: hi
            """).Errors);
        Assert.Equal("suite.yaml:6", error.Location);
        Assert.Equal("one", error.Test);
        Assert.Equal("assert[0].type", error.Field);
        Assert.Contains("contians", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MissingVar_NamesPromptAndVariable()
    {
        var error = Assert.Single(Fails("""
            prompts: ["Say {{x}} to {{who}}"]
            tests:
              - vars: { x: hi }
            """).Errors);
        Assert.Equal("suite.yaml:3", error.Location);
        Assert.Equal("vars", error.Field);
        Assert.Contains("{{who}}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BadRegexAndBadSchema_BothReported()
    {
        var errors = Fails("""
            prompts: ["Say hi"]
            tests:
              - description: r
                assert:
                  - type: regex
                    value: "([a-z"
                  - type: json-schema
                    value: { type: objekt }
            """).Errors;
        Assert.Equal(2, errors.Count);
        Assert.Equal(("suite.yaml:5", "assert[0].value"), (errors[0].Location, errors[0].Field));
        Assert.Contains("bad regex", errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(("suite.yaml:7", "assert[1].value"), (errors[1].Location, errors[1].Field));
        Assert.Contains("objekt", errors[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AssertionValueVarMissing_Reported()
    {
        var error = Assert.Single(Fails("""
            prompts: ["Say hi"]
            tests:
              - assert:
                  - type: contains
                    value: "{{expected}}"
            """).Errors);
        Assert.Equal("assert[0].value", error.Field);
        Assert.Contains("expected", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RubricWithoutJudge_Reported()
    {
        var error = Assert.Single(Fails("""
            prompts: ["Say hi"]
            tests:
              - assert:
                  - type: llm-rubric
                    value: is polite
            """).Errors);
        Assert.Equal("assert[0].provider", error.Field);
    }

    [Fact]
    public void Parse_YamlSyntaxError_HasLine()
    {
        var error = Assert.Single(Fails("prompts: [a]\ntests:\n  - vars: {x: 1}\n   bad: indent\n").Errors);
        Assert.Equal("yaml", error.Field);
        Assert.Equal("suite.yaml:4", error.Location);
    }

    [Fact]
    public void Parse_TestsFromCsvAndJsonl_WithExpectedColumnsAndLines()
    {
        using var folder = new TempFolder();
        folder.File("cases.csv", "country,__expected,__description\nFrance,icontains: paris,fr\n\"Italy, the republic\",Rome,it\n");
        folder.File("cases.jsonl", """
            {"vars": {"country": "Spain"}, "assert": [{"type": "contains", "value": "Madrid"}], "description": "es"}

            {"country": "Japan"}
            """);
        var suite = Parse("""
            prompts: ["Capital of {{country}}?"]
            tests:
              - file://cases.csv
              - file://cases.jsonl
            """, folder.Path);

        Assert.Equal(["fr", "it", "es", "cases.jsonl line 3"], suite.Tests.Select(t => t.Name));
        Assert.Equal([0, 1, 2, 3], suite.Tests.Select(t => t.Index));
        Assert.Equal("icontains", suite.Tests[0].Asserts[0].Type);
        Assert.Equal("Italy, the republic", suite.Tests[1].Vars["country"]);
        Assert.Equal("equals", suite.Tests[1].Asserts[0].Type);
        Assert.Equal("cases.csv:3", suite.Tests[1].Location);
        Assert.Equal("cases.jsonl:3", suite.Tests[3].Location);
    }

    [Fact]
    public void Parse_JsonlBadAssertion_NamesFileLine()
    {
        using var folder = new TempFolder();
        folder.File("cases.jsonl", "{\"vars\": {\"x\": \"1\"}}\n{\"vars\": {\"x\": \"2\"}, \"assert\": [{\"type\": \"regex\", \"value\": \"[\"}]}\n");
        var error = Assert.Single(Assert.Throws<EvalSuiteException>(() => Parse("prompts: [\"{{x}}\"]\ntests: file://cases.jsonl\n", folder.Path)).Errors);
        Assert.Equal("cases.jsonl:2", error.Location);
    }

    [Fact]
    public void Parse_UnknownTopLevelKey_Reported() =>
        Assert.Contains(Fails("prompts: [a]\ntests: [{}]\nprovders: [x]\n").Errors, e => e.Field == "provders" && e.Location == "suite.yaml:3");
}
