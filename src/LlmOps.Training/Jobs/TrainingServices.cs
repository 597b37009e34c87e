using LlmOps.Artifacts;
using LlmOps.Datasets;
using LlmOps.Registry;
using LlmOps.Runs;

namespace LlmOps.Training.Jobs;

/// <summary>
/// What a training or tokenizer job talks to: the registries, the run tracker and the artifact store, locally or through
/// a server (the CLI's session gives the same interfaces either way). The computation itself runs in the caller's process.
/// </summary>
/// <param name="Datasets">Dataset versions.</param>
/// <param name="Models">The model registry.</param>
/// <param name="Runs">The run tracker.</param>
/// <param name="Upload">Streams content into the artifact store.</param>
/// <param name="Download">Opens a blob of the artifact store by SHA-256.</param>
public sealed record TrainingServices(
    IDatasetRegistry Datasets,
    IModelRegistry Models,
    IRunTracker Runs,
    Func<Stream, CancellationToken, Task<BlobInfo>> Upload,
    Func<string, CancellationToken, Task<Stream>> Download)
{
    /// <summary>Copies a blob to <paramref name="path"/> (GGUF files are read by path, not as a stream).</summary>
    public async Task DownloadToFileAsync(string sha256, string path, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var source = await Download(sha256, cancellationToken).ConfigureAwait(false);
        await using (source.ConfigureAwait(false))
        {
            var temp = path + ".part";
            var target = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            await using (target.ConfigureAwait(false))
                await source.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
            File.Move(temp, path, overwrite: true);
        }
    }

    /// <summary>Uploads a file and returns it as a named artifact.</summary>
    public async Task<ArtifactFile> UploadFileAsync(string path, string name, CancellationToken cancellationToken = default)
    {
        var stream = File.OpenRead(path);
        await using (stream.ConfigureAwait(false))
        {
            var blob = await Upload(stream, cancellationToken).ConfigureAwait(false);
            return new ArtifactFile(name, blob.Sha256, blob.Size);
        }
    }
}
