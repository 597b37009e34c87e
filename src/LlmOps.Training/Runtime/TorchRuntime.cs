using System.Runtime.InteropServices;
using System.Text;
using TorchSharp;

namespace LlmOps.Training.Runtime;

/// <summary>Loads TorchSharp's native libraries once and explains why when they cannot load.</summary>
public static class TorchRuntime
{
    /// <summary>The libstdc++ symbol version that TorchSharp 0.107's native library asks for.</summary>
    public const string RequiredGlibcxx = "GLIBCXX_3.4.32";

    private static readonly Lock Gate = new();
    private static bool loaded;

    /// <summary>
    /// Makes the first torch call; throws <see cref="TorchUnavailableException"/> naming the library
    /// and the libstdc++ version at fault instead of TorchSharp's misleading message.
    /// </summary>
    public static void EnsureLoaded()
    {
        if (Volatile.Read(ref loaded))
            return;
        lock (Gate)
        {
            if (loaded)
                return;
            try
            {
                torch.InitializeDeviceType(DeviceType.CPU);
                using var probe = torch.zeros(1);
            }
            catch (Exception ex) when (ex is TypeInitializationException or NotSupportedException or DllNotFoundException or EntryPointNotFoundException)
            {
                throw new TorchUnavailableException(Explain(), ex);
            }
            Volatile.Write(ref loaded, true);
        }
    }

    private static string Explain()
    {
        var library = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (!File.Exists(library))
            library = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        var builder = new StringBuilder("TorchSharp's native library could not be loaded");
        builder.Append(CultureInfoInvariant($" ({library})."));
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
        {
            var newest = NewestGlibcxx();
            builder.Append(CultureInfoInvariant($" It needs {RequiredGlibcxx} from libstdc++; this system's newest is {newest ?? "unknown"}."));
            builder.Append(PatchState(library) switch
            {
                true => " That copy has the requirement marked weak already, so the cause is elsewhere (see the inner exception).",
                false => " That copy still requires it strictly: it was not patched by the build (build/TorchSharpGlibcxx.targets marks it"
                    + " weak in build and publish outputs); rebuild, or use a distribution with GCC 13's libstdc++ (Debian 13, Ubuntu 24.04).",
                null => " The library file was not found or is not a 64-bit ELF file.",
            });
        }
        builder.Append(" It also needs the libtorch-cpu-linux-x64 package's native files next to it.");
        return builder.ToString();
    }

    /// <summary>True if the library's GLIBCXX_3.4.32 requirement is weak, false if strict (or absent: nothing to patch), null if unreadable.</summary>
    internal static bool? PatchState(string library)
    {
        if (!File.Exists(library))
            return null;
        var needs = ElfVersionNeeds.Read(library);
        if (needs is null)
            return null;
        return !needs.TryGetValue(RequiredGlibcxx, out var flags) || (flags & ElfVersionNeeds.WeakFlag) != 0;
    }

    private static string CultureInfoInvariant(FormattableString text) => FormattableString.Invariant(text);

    /// <summary>Finds the highest GLIBCXX_3.4.N version string in the system's libstdc++, if it can be found.</summary>
    internal static string? NewestGlibcxx()
    {
        string[] candidates = ["/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6"];
        var path = candidates.FirstOrDefault(File.Exists);
        if (path is null)
            return null;
        var text = Encoding.Latin1.GetString(File.ReadAllBytes(path));
        var best = -1;
        const string Prefix = "GLIBCXX_3.4.";
        for (var i = text.IndexOf(Prefix, StringComparison.Ordinal); i >= 0; i = text.IndexOf(Prefix, i + 1, StringComparison.Ordinal))
        {
            var j = i + Prefix.Length;
            var n = 0;
            var digits = 0;
            while (j < text.Length && char.IsAsciiDigit(text[j]))
            {
                n = n * 10 + (text[j] - '0');
                j++;
                digits++;
            }
            if (digits > 0 && (j >= text.Length || text[j] == '\0'))
                best = Math.Max(best, n);
        }
        return best < 0 ? null : FormattableString.Invariant($"{Prefix}{best}");
    }
}

/// <summary>TorchSharp's native libraries could not be loaded on this machine.</summary>
public sealed class TorchUnavailableException : Exception
{
    public TorchUnavailableException()
    {
    }

    public TorchUnavailableException(string message)
        : base(message)
    {
    }

    public TorchUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
