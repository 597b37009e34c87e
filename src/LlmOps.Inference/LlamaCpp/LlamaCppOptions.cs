namespace LlmOps.Inference.LlamaCpp;

/// <summary>Settings of the llama.cpp runtime, shared by every model it loads.</summary>
public sealed class LlamaCppOptions
{
    /// <summary>Context window per request (prompt plus completion); 0 uses the model's trained length.</summary>
    public uint ContextSize { get; set; }

    /// <summary>CPU threads per decode.</summary>
    public int Threads { get; set; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Requests generating at once per model; the rest wait in line.</summary>
    public int MaxConcurrentRequests { get; set; } = 4;

    /// <summary>Generate every request of a model in one shared batch (llama.cpp sequences, one decode per step for all);
    /// off gives each request its own context.</summary>
    public bool ContinuousBatching { get; set; } = true;

    /// <summary>A model unused for this long is unloaded.</summary>
    public TimeSpan IdleUnloadAfter { get; set; } = TimeSpan.FromMinutes(10);

    public void Validate()
    {
        if (Threads < 1) throw new InvalidInputException("threads", "must be at least 1.");
        if (MaxConcurrentRequests < 1) throw new InvalidInputException("maxConcurrentRequests", "must be at least 1.");
        if (IdleUnloadAfter <= TimeSpan.Zero) throw new InvalidInputException("idleUnloadAfter", "must be positive.");
    }
}
