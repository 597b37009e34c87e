namespace LlmOps.Monitoring.Drift;

/// <summary>One request of a window compared for drift.</summary>
/// <param name="Prompt">The prompt as text (a trace's <see cref="TraceRecord.Prompt"/>, or an evaluation case's rendered prompt).</param>
/// <param name="Response">The generated text; null when there is none, as in a reference window made of evaluation inputs
/// only. Response features are computed only when both windows have enough responses.</param>
public sealed record DriftSample(string Prompt, string? Response = null);
