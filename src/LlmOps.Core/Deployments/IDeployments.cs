namespace LlmOps.Deployments;

/// <summary>Deployments as their users see them, locally or through the server.</summary>
public interface IDeployments
{
    /// <summary>Makes <paramref name="spec"/> the endpoint's next revision; prod only with every version Approved.</summary>
    Task<Deployment> SetAsync(string environment, string endpoint, DeploymentSpec spec, CancellationToken cancellationToken = default);

    /// <summary>The current revision.</summary>
    Task<Deployment> GetAsync(string environment, string endpoint, CancellationToken cancellationToken = default);

    /// <summary>The current revision of every endpoint, optionally of one environment.</summary>
    Task<IReadOnlyList<Deployment>> ListAsync(string? environment = null, CancellationToken cancellationToken = default);

    /// <summary>Every revision of an endpoint, oldest first.</summary>
    Task<IReadOnlyList<Deployment>> HistoryAsync(string environment, string endpoint, CancellationToken cancellationToken = default);

    /// <summary>Returns to the revision before the current one, as a new revision.</summary>
    Task<Deployment> RollbackAsync(string environment, string endpoint, CancellationToken cancellationToken = default);
}
