using LlmOps.Identity;

namespace LlmOps.Pipelines;

/// <summary>A pipeline stored by name so triggers (cron, new dataset version, registry event, alert) can start it;
/// triggered runs act as the principal who registered it.</summary>
public sealed record RegisteredPipeline(string Name, string Yaml, Actor Actor, DateTimeOffset UpdatedAt);
