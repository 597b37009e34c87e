namespace LlmOps.Identity;

/// <summary>API key administration, locally or through the server.</summary>
public interface IApiKeys
{
    /// <summary>Creates a key; the returned secret is shown once and never stored.</summary>
    Task<CreatedApiKey> CreateAsync(CreateApiKey request, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<ApiKey>> ListAsync(CancellationToken cancellationToken = default);
    Task<ApiKey> RevokeAsync(string id, CancellationToken cancellationToken = default);
}

/// <summary>Input to <see cref="IApiKeys.CreateAsync"/>.</summary>
public sealed record CreateApiKey(string Name, Role Role, IReadOnlyList<string>? Scopes = null);
