namespace LlmOps.Audit;

/// <summary>Reading and verifying the audit log (local or through the server).</summary>
public interface IAuditTrail
{
    Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken = default);
    Task<IReadOnlyList<AuditEntry>> ListAsync(long afterSequence = 0, int limit = 100, CancellationToken cancellationToken = default);
}
