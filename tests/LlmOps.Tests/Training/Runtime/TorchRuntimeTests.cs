using System.Text;
using LlmOps.Training.Runtime;
using TorchSharp;

namespace LlmOps.Tests.Training.Runtime;

public sealed class TorchRuntimeTests
{
    [Fact]
    public void EnsureLoaded_InTestOutput_RunsATensorOperation()
    {
        TorchRuntime.EnsureLoaded();

        using var sum = torch.ones(3).sum();

        Assert.Equal(3f, sum.item<float>());
    }

    [Fact]
    public void BuildOutputCopy_OfLibTorchSharp_HasGlibcxx3432MarkedWeak()
    {
        var library = Directory.GetFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories).Single();

        var flags = ElfVersionNeeds.Read(library);

        Assert.True(flags.TryGetValue(TorchRuntime.RequiredGlibcxx, out var flag), "the library should ask for " + TorchRuntime.RequiredGlibcxx);
        Assert.Equal(ElfVersionNeeds.WeakFlag, flag & ElfVersionNeeds.WeakFlag);
    }

    [Fact]
    public void NuGetCacheCopy_OfLibTorchSharp_IsLeftUnpatched()
    {
        var home = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var cached = Path.Combine(home, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (!File.Exists(cached))
            return; // a custom cache layout: nothing to compare against here.

        var flags = ElfVersionNeeds.Read(cached);

        Assert.Equal(0, flags[TorchRuntime.RequiredGlibcxx] & ElfVersionNeeds.WeakFlag);
    }

    [Fact]
    public void PatchState_OutputCopyAndCacheCopy_AreWeakAndStrict()
    {
        var output = Directory.GetFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories).Single();
        var home = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var cached = Path.Combine(home, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

        Assert.True(TorchRuntime.PatchState(output));
        if (File.Exists(cached))
            Assert.False(TorchRuntime.PatchState(cached));
        Assert.Null(TorchRuntime.PatchState(Path.Combine(AppContext.BaseDirectory, "no-such-library.so")));
    }

    [Fact]
    public void NewestGlibcxx_OnLinux_ReportsAVersion()
    {
        if (!OperatingSystem.IsLinux())
            return;

        var newest = TorchRuntime.NewestGlibcxx();

        Assert.NotNull(newest);
        Assert.StartsWith("GLIBCXX_3.4.", newest, StringComparison.Ordinal);
    }

    /// <summary>A second, independent reader of ELF64 version-needed entries to check the build's patch.</summary>
    private static class ElfVersionNeeds
    {
        public const int WeakFlag = 0x2;

        public static Dictionary<string, int> Read(string path)
        {
            var elf = File.ReadAllBytes(path);
            var shoff = (int)BitConverter.ToUInt64(elf, 0x28);
            int shentsize = BitConverter.ToUInt16(elf, 0x3A);
            int shnum = BitConverter.ToUInt16(elf, 0x3C);
            var result = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < shnum; i++)
            {
                var sh = shoff + i * shentsize;
                if (BitConverter.ToUInt32(elf, sh + 4) != 0x6ffffffe)
                    continue;
                var vn = (int)BitConverter.ToUInt64(elf, sh + 0x18);
                var strSection = shoff + (int)BitConverter.ToUInt32(elf, sh + 0x28) * shentsize;
                var strOffset = (int)BitConverter.ToUInt64(elf, strSection + 0x18);
                var count = (int)BitConverter.ToUInt32(elf, sh + 0x2C);
                for (var n = 0; n < count; n++)
                {
                    var vna = vn + (int)BitConverter.ToUInt32(elf, vn + 8);
                    for (var a = 0; a < BitConverter.ToUInt16(elf, vn + 2); a++)
                    {
                        var start = strOffset + (int)BitConverter.ToUInt32(elf, vna + 8);
                        var end = Array.IndexOf(elf, (byte)0, start);
                        result[Encoding.ASCII.GetString(elf, start, end - start)] = BitConverter.ToUInt16(elf, vna + 4);
                        vna += (int)BitConverter.ToUInt32(elf, vna + 12);
                    }
                    vn += (int)BitConverter.ToUInt32(elf, vn + 12);
                }
            }
            return result;
        }
    }
}
