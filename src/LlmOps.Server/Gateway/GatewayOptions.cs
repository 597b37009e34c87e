using LlmOps.Inference.LlamaCpp;
using LlmOps.Registry;

namespace LlmOps.Server.Gateway;

/// <summary>Settings of the OpenAI-compatible gateway (<c>/v1</c>); part of <see cref="ServerOptions"/>.</summary>
public sealed class GatewayOptions
{
    /// <summary>The environment a bare model name (<c>chat</c>, not <c>chat@qa</c>) is served from.</summary>
    public string DefaultEnvironment { get; set; } = Environments.Prod;

    /// <summary>How long a version may take to produce its first output before the fallback chain moves on,
    /// when the deployment sets no timeout of its own.</summary>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Seed of the canary draw; null draws from a shared random source. Tests fix it.</summary>
    public int? RoutingSeed { get; set; }

    /// <summary>The llama.cpp runtime: threads, slots per model, idle unload.</summary>
    public LlamaCppOptions LlamaCpp { get; set; } = new();

    /// <summary>Per-key limits; zero means no limit.</summary>
    public KeyLimits Limits { get; set; } = new();

    public void Validate()
    {
        if (!Environments.All.Contains(DefaultEnvironment))
            throw new InvalidInputException("gateway.defaultEnvironment", $"use one of {string.Join(", ", Environments.All)}.");
        if (DefaultTimeout <= TimeSpan.Zero) throw new InvalidInputException("gateway.defaultTimeout", "must be positive.");
        LlamaCpp.Validate();
        Limits.Validate();
    }
}

/// <summary>What one API key may use of the gateway; zero turns a limit off.</summary>
public sealed class KeyLimits
{
    /// <summary>Requests per rolling minute.</summary>
    public int RequestsPerMinute { get; set; }

    /// <summary>Tokens (prompt plus completion) per rolling minute.</summary>
    public int TokensPerMinute { get; set; }

    /// <summary>Tokens over the life of the process (a budget; the monitoring store will make it durable).</summary>
    public long TokenBudget { get; set; }

    public void Validate()
    {
        if (RequestsPerMinute < 0 || TokensPerMinute < 0 || TokenBudget < 0)
            throw new InvalidInputException("gateway.limits", "limits cannot be negative (0 means none).");
    }
}
