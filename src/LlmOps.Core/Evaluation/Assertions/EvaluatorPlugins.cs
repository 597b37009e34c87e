using System.Reflection;
using Microsoft.Extensions.AI.Evaluation;

namespace LlmOps.Evaluation.Assertions;

/// <summary>Custom C# evaluators from an assembly: every public concrete <see cref="IEvaluator"/> with a parameterless constructor,
/// registered under its first metric name (what a suite writes as the assertion <c>type</c>).</summary>
public static class EvaluatorPlugins
{
    /// <summary>Loads <paramref name="assemblyPath"/> and registers its evaluators; returns the type names registered.</summary>
    public static IReadOnlyList<string> Register(AssertionTypes types, string assemblyPath)
    {
        ArgumentNullException.ThrowIfNull(types);
        if (!File.Exists(assemblyPath)) throw new InvalidInputException("--evaluators", $"'{assemblyPath}' does not exist.");
        Assembly assembly;
        try
        {
            assembly = Assembly.LoadFrom(Path.GetFullPath(assemblyPath));
        }
        catch (BadImageFormatException exception)
        {
            throw new InvalidInputException("--evaluators", $"'{assemblyPath}' is not a .NET assembly: {exception.Message}");
        }
        Type[] exported;
        try
        {
            exported = assembly.GetExportedTypes();
        }
        catch (ReflectionTypeLoadException exception)
        {
            // Types whose dependencies are missing cannot be evaluators we could run anyway.
            exported = exception.Types.OfType<Type>().ToArray();
        }
        var registered = new List<string>();
        foreach (var type in exported.Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IEvaluator).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null))
        {
            var evaluator = (IEvaluator)Activator.CreateInstance(type)!;
            var name = evaluator.EvaluationMetricNames.FirstOrDefault();
            if (string.IsNullOrWhiteSpace(name) || name.StartsWith("not-", StringComparison.Ordinal)) continue;
            types.AddEvaluator(name, evaluator);
            registered.Add(name);
        }
        if (registered.Count == 0) throw new InvalidInputException("--evaluators", $"'{assemblyPath}' has no public IEvaluator with a parameterless constructor.");
        return registered;
    }
}
