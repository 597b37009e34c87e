namespace LlmOps.Inference;

/// <summary>A runtime failed to produce an answer (decode error, upstream fault); transient when a retry or a fallback can help.</summary>
public sealed class InferenceException(string message, bool isTransient = true, Exception? inner = null) : LlmOpsException(message, inner)
{
    public override bool IsTransient { get; } = isTransient;
}
