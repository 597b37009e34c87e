using System.Text.RegularExpressions;
using Cronos;
using LlmOps.Configuration;
using LlmOps.Registry;

namespace LlmOps.Pipelines;

/// <summary>Reads pipeline YAML and rejects an invalid pipeline before anything runs: unknown step type or input,
/// a reference to a missing step, output or parameter, a cycle, a bad condition or cron — each naming the step, field and line.</summary>
public static partial class PipelineParser
{
    static readonly string[] RootKeys = ["name", "description", "params", "triggers", "steps"];
    static readonly string[] StepKeys = ["id", "type", "with", "needs", "when", "retries", "retry_backoff", "timeout", "queue"];
    static readonly string[] TriggerKinds = ["cron", "dataset", "registry", "alert"];

    public static PipelineDefinition Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new InvalidInputException("pipeline", $"{path} does not exist.");
        return Parse(File.ReadAllText(path), path);
    }

    public static PipelineDefinition Parse(string yaml, string? source = null)
    {
        var root = YamlSection.Parse(yaml, source);
        var name = root.RequiredString("name");
        if (!NamePattern().IsMatch(name)) throw root.ErrorAt("name", $"'{name}' is not a valid pipeline name (letters, digits, '.', '_', '-')");
        var description = root.String("description");
        var parameters = root.Section("params").Scalars();
        var triggers = root.Sections("triggers").Select(ParseTrigger).ToList();
        var stepSections = root.Sections("steps");
        root.RejectUnknownKeys(RootKeys);
        if (stepSections.Count == 0) throw root.ErrorAt("steps", "a pipeline needs at least one step");

        var steps = new List<StepDefinition>();
        var sectionsById = new Dictionary<string, YamlSection>(StringComparer.Ordinal);
        foreach (var section in stepSections)
        {
            var step = ParseStep(section);
            if (!sectionsById.TryAdd(step.Id, section)) throw section.ErrorAt("id", $"step id '{step.Id}' is used twice");
            steps.Add(step);
        }

        // References: to existing steps and their declared outputs, to declared parameters; each adds a dependency.
        var resolved = new List<StepDefinition>();
        foreach (var step in steps)
        {
            var section = sectionsById[step.Id];
            var needs = new List<string>(step.Needs);
            foreach (var need in step.Needs)
            {
                if (!sectionsById.ContainsKey(need)) throw section.ErrorAt("needs", $"steps.{step.Id}.needs: no step '{need}'");
            }
            foreach (var (input, text) in step.With)
            {
                IReadOnlyList<PipelineExpressions.Reference> references;
                try { references = PipelineExpressions.References(text); }
                catch (FormatException exception) { throw section.Section("with").ErrorAt(input, $"steps.{step.Id}.with.{input}: {exception.Message}"); }
                foreach (var reference in references) CheckReference(reference, step, $"with.{input}", section.Section("with"), input, steps, parameters, needs);
            }
            if (step.When is not null)
            {
                PipelineExpressions.Condition condition;
                try { condition = PipelineExpressions.ParseCondition(step.When); }
                catch (FormatException exception) { throw section.ErrorAt("when", $"steps.{step.Id}.when: {exception.Message}"); }
                foreach (var reference in condition.References()) CheckReference(reference, step, "when", section, "when", steps, parameters, needs);
            }
            resolved.Add(step with { Needs = needs.Distinct(StringComparer.Ordinal).ToList() });
        }
        RejectCycles(resolved, sectionsById);
        return new PipelineDefinition(name, description, parameters, resolved, triggers, yaml);
    }

    static StepDefinition ParseStep(YamlSection section)
    {
        var id = section.RequiredString("id");
        if (!StepIdPattern().IsMatch(id)) throw section.ErrorAt("id", $"'{id}' is not a valid step id (letters, digits, '_', '-')");
        var type = section.RequiredString("type");
        if (!StepTypes.All.TryGetValue(type, out var stepType))
            throw section.ErrorAt("type", $"steps.{id}.type: unknown step type '{type}' (known: {string.Join(", ", StepTypes.All.Keys)})");
        var withSection = section.Section("with");
        var with = withSection.Scalars();
        foreach (var input in with.Keys)
        {
            if (!stepType.Inputs.Contains(input))
                throw withSection.ErrorAt(input, $"steps.{id}.with: '{type}' has no input '{input}' (inputs: {string.Join(", ", stepType.Inputs)})");
        }
        foreach (var required in stepType.RequiredInputs)
        {
            if (!with.ContainsKey(required)) throw section.ErrorAt("type", $"steps.{id}.with: '{type}' needs input '{required}'");
        }
        var step = new StepDefinition(id, type, with, section.Strings("needs"), section.String("when"),
            section.Int("retries", 0, 0, 20), section.Duration("retry_backoff") ?? TimeSpan.FromSeconds(5), section.Duration("timeout"),
            section.String("queue") ?? "default", section.Line);
        if (!QueuePattern().IsMatch(step.Queue)) throw section.ErrorAt("queue", $"steps.{id}.queue: '{step.Queue}' is not a valid queue name (lower-case letters, digits, '_')");
        section.RejectUnknownKeys(StepKeys);
        return step;
    }

    static void CheckReference(PipelineExpressions.Reference reference, StepDefinition step, string field, YamlSection section, string key,
        List<StepDefinition> steps, IReadOnlyDictionary<string, string> parameters, List<string> needs)
    {
        switch (reference.Kind)
        {
            case "params" when !parameters.ContainsKey(reference.Name):
                throw section.ErrorAt(key, $"steps.{step.Id}.{field}: {reference.Text} names no parameter (declare it under params:)");
            case "steps":
                var target = steps.FirstOrDefault(s => s.Id == reference.Step)
                    ?? throw section.ErrorAt(key, $"steps.{step.Id}.{field}: {reference.Text} names no step '{reference.Step}'");
                if (target.Id == step.Id) throw section.ErrorAt(key, $"steps.{step.Id}.{field}: a step cannot read its own outputs");
                var outputs = StepTypes.All[target.Type].Outputs;
                if (!outputs.Contains(reference.Name) && !outputs.Contains(StepTypes.AnyOutput))
                    throw section.ErrorAt(key, $"steps.{step.Id}.{field}: step '{target.Id}' ({target.Type}) has no output '{reference.Name}' (outputs: {string.Join(", ", outputs)})");
                needs.Add(target.Id);
                break;
        }
    }

    static void RejectCycles(List<StepDefinition> steps, Dictionary<string, YamlSection> sections)
    {
        var state = steps.ToDictionary(s => s.Id, _ => 0, StringComparer.Ordinal);
        var byId = steps.ToDictionary(s => s.Id, StringComparer.Ordinal);
        var path = new Stack<string>();
        void Visit(string id)
        {
            if (state[id] == 2) return;
            if (state[id] == 1)
            {
                var cycle = path.Reverse().SkipWhile(s => s != id).Append(id);
                throw sections[id].ErrorAt("needs", $"steps form a cycle: {string.Join(" → ", cycle)}");
            }
            state[id] = 1;
            path.Push(id);
            foreach (var need in byId[id].Needs) Visit(need);
            path.Pop();
            state[id] = 2;
        }
        foreach (var step in steps) Visit(step.Id);
    }

    static PipelineTrigger ParseTrigger(YamlSection section)
    {
        var kinds = section.Keys.ToList();
        if (kinds.Count != 1 || !TriggerKinds.Contains(kinds[0]))
            throw section.Error(null, $"{section.Path}: a trigger is one of {string.Join(", ", TriggerKinds.Select(k => k + ": …"))}");
        var kind = kinds[0];
        var value = section.RequiredString(kind);
        if (kind == "cron")
        {
            try { CronExpression.Parse(value); }
            catch (CronFormatException exception) { throw section.ErrorAt("cron", $"{section.Path}.cron: '{value}' is not a cron expression: {exception.Message}"); }
        }
        if (kind == "dataset") ModelRegistry.ValidateName(value, $"{section.Path}.dataset");
        return new PipelineTrigger(kind, value);
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex StepIdPattern();

    [GeneratedRegex("^[a-z0-9_]{1,32}$")]
    private static partial Regex QueuePattern();
}
