using LlmOps.Registry;

namespace LlmOps.Artifacts;

/// <summary>Checks the files a caller names for a version (model or dataset) against the artifact store.</summary>
public static class ArtifactFiles
{
    /// <summary>Validates each name and SHA-256, refuses a name listed twice or a blob not uploaded, and returns the files
    /// with their sizes as the store has them (a caller's size is not trusted).</summary>
    public static IReadOnlyList<ArtifactFile> Resolve(IArtifactStore artifacts, IReadOnlyList<ArtifactFile>? files)
    {
        ArgumentNullException.ThrowIfNull(artifacts);
        var resolved = new List<ArtifactFile>(files?.Count ?? 0);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (files?.Count ?? 0); i++)
        {
            var file = files![i];
            ArtifactNames.Validate(file.Name, $"files[{i}].name");
            ArtifactNames.ValidateSha256(file.Sha256, $"files[{i}].sha256");
            if (!seen.Add(file.Name)) throw new InvalidInputException($"files[{i}].name", $"'{file.Name}' is listed twice.");
            var size = artifacts.GetSize(file.Sha256) ?? throw new InvalidInputException($"files[{i}].sha256", $"no blob {file.Sha256} in the artifact store; upload it first.");
            resolved.Add(file with { Size = size });
        }
        return resolved;
    }
}
