namespace LlmOps.Identity;

/// <summary>What a principal may do; each role includes the ones below it.</summary>
public enum Role
{
    /// <summary>Reads models, runs and reports.</summary>
    Viewer = 0,
    /// <summary>Registers models, logs runs, uploads artifacts, moves dev and qa aliases.</summary>
    Developer = 1,
    /// <summary>Approves or rejects model versions requested by someone else.</summary>
    Approver = 2,
    /// <summary>Manages keys and reads the audit log.</summary>
    Admin = 3,
}
