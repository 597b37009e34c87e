namespace LlmOps;

/// <summary>Base of LlmOps' small exception hierarchy; hosts map each kind to an HTTP status and an exit code.</summary>
public abstract class LlmOpsException : Exception
{
    protected LlmOpsException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>True when the same call may succeed if retried (a busy database, a dropped connection).</summary>
    public virtual bool IsTransient => false;
}

/// <summary>A named thing (model, version, run, key) does not exist.</summary>
public sealed class NotFoundException(string what, string id)
    : LlmOpsException($"{what} '{id}' was not found.")
{
    public string What { get; } = what;
    public string Id { get; } = id;
}

/// <summary>The input is malformed or out of range; <see cref="Field"/> names where.</summary>
public sealed class InvalidInputException(string field, string message)
    : LlmOpsException($"{field}: {message}")
{
    public string Field { get; } = field;
    public string Reason { get; } = message;
}

/// <summary>The request is well formed but a rule forbids it in the current state (illegal transition, four-eyes).</summary>
public sealed class RuleViolationException(string rule, string message) : LlmOpsException(message)
{
    /// <summary>A stable identifier of the rule, e.g. <c>four-eyes</c> or <c>prod-requires-approval</c>.</summary>
    public string Rule { get; } = rule;
}

/// <summary>The caller is known but lacks the role or scope for the operation.</summary>
public sealed class PermissionDeniedException(string message) : LlmOpsException(message);

/// <summary>Stored data failed an integrity check (hash mismatch, broken chain).</summary>
public sealed class IntegrityException(string message) : LlmOpsException(message);

/// <summary>A storage fault; transient when the provider says a retry can help.</summary>
public sealed class StorageException(string message, Exception inner, bool isTransient) : LlmOpsException(message, inner)
{
    public override bool IsTransient { get; } = isTransient;
}
