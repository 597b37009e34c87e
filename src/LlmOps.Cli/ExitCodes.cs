namespace LlmOps.Cli;

/// <summary>The CLI's exit codes, as documented in the README.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>A gate or check failed (e.g. <c>audit verify</c> found a broken link).</summary>
    public const int CheckFailed = 1;
    /// <summary>Usage or input error: unknown option, bad value, unknown model, refused transition.</summary>
    public const int InputError = 2;
    /// <summary>Internal error, or the server could not be reached.</summary>
    public const int InternalError = 3;
}
