using System.Security.Cryptography;
using LLama;
using LLama.Common;
using LLama.Native;

namespace LlmOps.Inference.LlamaCpp;

/// <summary>GGUF models loaded once per process, keyed by the SHA-256 of the file, shared by every deployment that
/// serves them, and unloaded after <see cref="LlamaCppOptions.IdleUnloadAfter"/> without a request.</summary>
public sealed class LlamaModelCache : IDisposable
{
    readonly LlamaCppOptions options;
    readonly TimeProvider timeProvider;
    readonly Lock gate = new();
    readonly Dictionary<string, Task<LoadedModel>> models = new(StringComparer.Ordinal);
    readonly ITimer sweeper;
    bool disposed;

    public LlamaModelCache(LlamaCppOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.options = options;
        this.timeProvider = timeProvider ?? TimeProvider.System;
        var period = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1).Ticks, Math.Min(options.IdleUnloadAfter.Ticks / 4, TimeSpan.FromMinutes(1).Ticks)));
        sweeper = this.timeProvider.CreateTimer(_ => UnloadIdle(), null, period, period);
    }

    public LlamaCppOptions Options => options;

    /// <summary>Loads the model (or joins a load in progress) and holds it until the lease is disposed.</summary>
    public async Task<ModelLease> AcquireAsync(string path, string sha256, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(sha256);
        while (true)
        {
            Task<LoadedModel> loading;
            lock (gate)
            {
                ObjectDisposedException.ThrowIf(disposed, this);
                if (!models.TryGetValue(sha256, out loading!))
                {
                    // Loading is not tied to one caller's token: others may be waiting for the same model.
                    loading = Task.Run(() => LoadAsync(path, sha256), CancellationToken.None);
                    models[sha256] = loading;
                }
            }
            LoadedModel model;
            try
            {
                model = await loading.WaitAsync(cancellationToken);
            }
            catch (Exception) when (loading.IsFaulted)
            {
                lock (gate)
                {
                    if (models.TryGetValue(sha256, out var current) && current == loading) models.Remove(sha256);
                }
                throw;
            }
            lock (gate)
            {
                // The sweeper may have unloaded it between the load finishing and this lease: load it again then.
                if (model.IsUnloaded) continue;
                model.Leases++;
                model.LastUsed = timeProvider.GetUtcNow();
            }
            return new ModelLease(this, model);
        }
    }

    /// <summary>What is loaded now: per model its size in memory, leases and last use.</summary>
    public IReadOnlyList<LoadedModelInfo> Loaded
    {
        get
        {
            lock (gate)
            {
                return models.Values.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result)
                    .Select(m => new LoadedModelInfo(m.Sha256, m.Path, m.SizeInBytes, m.ParameterCount, m.Leases, m.LastUsed)).ToList();
            }
        }
    }

    /// <summary>Bytes of weights held in memory by every loaded model.</summary>
    public long LoadedBytes => Loaded.Sum(m => m.SizeInBytes);

    /// <summary>Unloads every model with no lease and no use for <see cref="LlamaCppOptions.IdleUnloadAfter"/>; returns how many.</summary>
    public int UnloadIdle()
    {
        var now = timeProvider.GetUtcNow();
        var unload = new List<LoadedModel>();
        lock (gate)
        {
            foreach (var (sha, task) in models.ToList())
            {
                if (!task.IsCompletedSuccessfully) continue;
                var model = task.Result;
                if (model.Leases == 0 && now - model.LastUsed >= options.IdleUnloadAfter)
                {
                    model.IsUnloaded = true;
                    models.Remove(sha);
                    unload.Add(model);
                }
            }
        }
        foreach (var model in unload) model.Dispose();
        return unload.Count;
    }

    /// <summary>The SHA-256 of a file as lowercase hex (the cache key when the registry has not supplied one).</summary>
    public static async Task<string> HashFileAsync(string path, CancellationToken cancellationToken = default)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken));
    }

    internal void Release(LoadedModel model)
    {
        lock (gate)
        {
            model.Leases--;
            model.LastUsed = timeProvider.GetUtcNow();
        }
    }

    async Task<LoadedModel> LoadAsync(string path, string sha256)
    {
        if (!File.Exists(path)) throw new NotFoundException("model file", path);
        var parameters = new ModelParams(path) { GpuLayerCount = 0 };
        var weights = await LLamaWeights.LoadFromFileAsync(parameters);
        var contextSize = options.ContextSize > 0 ? options.ContextSize : (uint)weights.ContextSize;
        return new LoadedModel(path, sha256, weights, contextSize, options.MaxConcurrentRequests) { LastUsed = timeProvider.GetUtcNow() };
    }

    public void Dispose()
    {
        List<Task<LoadedModel>> all;
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            all = [.. models.Values];
            models.Clear();
        }
        sweeper.Dispose();
        foreach (var task in all)
        {
            if (task.IsCompletedSuccessfully) task.Result.Dispose();
        }
    }
}

/// <summary>A model in memory: its weights, its context length and the slots requests take turns on.</summary>
public sealed class LoadedModel(string path, string sha256, LLamaWeights weights, uint contextSize, int slots) : IDisposable
{
    readonly Lock gate = new();
    readonly Dictionary<string, LlamaBatchScheduler> schedulers = new(StringComparer.Ordinal);
    readonly Dictionary<string, LoraAdapter> adapters = new(StringComparer.Ordinal);

    public string Path { get; } = path;
    public string Sha256 { get; } = sha256;
    public LLamaWeights Weights { get; } = weights;
    public uint ContextSize { get; } = contextSize;
    public long SizeInBytes { get; } = (long)weights.SizeInBytes;
    public long ParameterCount { get; } = (long)weights.ParameterCount;

    /// <summary>Requests generating at once; waiting for a slot is the request's queue time.</summary>
    public SemaphoreSlim Slots { get; } = new(slots, slots);

    /// <summary>Sequences in the shared batch now (0 without continuous batching).</summary>
    public int BatchedSequences
    {
        get { lock (gate) return schedulers.Values.Sum(s => s.ActiveSequences); }
    }

    /// <summary>The most sequences that were in one shared batch at once.</summary>
    public int PeakBatchedSequences
    {
        get { lock (gate) return schedulers.Values.Select(s => s.PeakSequences).DefaultIfEmpty(0).Max(); }
    }

    /// <summary>The batch of the base model, or of the base model with one LoRA adapter applied (a context applies its
    /// adapters to every sequence, so each adapter gets its own batch).</summary>
    internal LlamaBatchScheduler Scheduler(int threads, LoraFile? lora)
    {
        lock (gate)
        {
            var key = lora?.Sha256 ?? "";
            if (!schedulers.TryGetValue(key, out var scheduler))
                schedulers[key] = scheduler = new LlamaBatchScheduler(this, slotCount, threads, lora is null ? null : (Adapter(lora), lora.Scale));
            return scheduler;
        }
    }

    /// <summary>A LoRA adapter file loaded against these weights, once.</summary>
    internal LoraAdapter Adapter(LoraFile lora)
    {
        lock (gate)
        {
            if (!adapters.TryGetValue(lora.Sha256, out var adapter))
            {
                if (!File.Exists(lora.Path)) throw new NotFoundException("LoRA adapter file", lora.Path);
                adapters[lora.Sha256] = adapter = Weights.NativeHandle.LoadLoraFromFile(lora.Path);
            }
            return adapter;
        }
    }

    readonly int slotCount = slots;

    public void Dispose()
    {
        lock (gate)
        {
            foreach (var scheduler in schedulers.Values) scheduler.Dispose();
            schedulers.Clear();
            foreach (var adapter in adapters.Values) adapter.Unload();
            adapters.Clear();
        }
        Weights.Dispose();
    }

    internal int Leases { get; set; }
    internal DateTimeOffset LastUsed { get; set; }
    internal bool IsUnloaded { get; set; }
}

/// <summary>Holds a loaded model; dispose when the request is done so the model can be unloaded when idle.</summary>
public sealed class ModelLease(LlamaModelCache cache, LoadedModel model) : IDisposable
{
    int disposed;

    public LoadedModel Model { get; } = model;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0) cache.Release(Model);
    }
}

/// <summary>A LoRA adapter GGUF on disk for a base model, with the scale it is applied at.</summary>
public sealed record LoraFile(string Path, string Sha256, float Scale = 1f)
{
    /// <summary>The tag of a lora registry version that sets its scale (default 1).</summary>
    public const string ScaleTag = "lora_scale";
}

/// <summary>A loaded model as reported by <see cref="LlamaModelCache.Loaded"/>.</summary>
public sealed record LoadedModelInfo(string Sha256, string Path, long SizeInBytes, long ParameterCount, int ActiveLeases, DateTimeOffset LastUsed);
