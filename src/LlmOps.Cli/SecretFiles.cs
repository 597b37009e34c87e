using System.Text;

namespace LlmOps.Cli;

/// <summary>Keys the CLI keeps for the user in the data directory: written once, mode 0600, atomically.</summary>
internal static class SecretFiles
{
    /// <summary>Writes <paramref name="secret"/> to <paramref name="path"/> readable only by the user (temp file, then rename).</summary>
    public static async Task WriteAsync(string path, string secret, CancellationToken cancellationToken)
    {
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        await using (var stream = new FileStream(temp, options))
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(secret + "\n"), cancellationToken);
        }
        File.Move(temp, path, overwrite: true);
    }
}
