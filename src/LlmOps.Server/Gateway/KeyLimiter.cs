using LlmOps.Monitoring;

namespace LlmOps.Server.Gateway;

/// <summary>Per-key request and token limits over a rolling minute, a token budget, and the usage counted per key in this process.</summary>
/// <remarks>The budget counts what the store recorded for the key (<paramref name="storedTokens"/>, read again at most every
/// <see cref="BudgetRefresh"/>: replicas and restarts share it) plus what this process served since; the per-minute limits are per process.</remarks>
public sealed class KeyLimiter(KeyLimits limits, TimeProvider timeProvider, Func<string, CancellationToken, Task<long>>? storedTokens = null)
{
    static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>How stale the stored total of a key may be before a request reads it again.</summary>
    public static readonly TimeSpan BudgetRefresh = TimeSpan.FromSeconds(5);

    /// <summary>Retry-After sent when the budget is spent: it does not refill by itself, so a long wait.</summary>
    public static readonly TimeSpan BudgetRetryAfter = TimeSpan.FromHours(1);

    readonly Lock gate = new();
    readonly Dictionary<string, KeyState> keys = new(StringComparer.Ordinal);

    /// <summary><see cref="Admit"/>, after reading the key's stored token total when a budget is set and the last read is stale.</summary>
    public async ValueTask AdmitAsync(string keyId, CancellationToken cancellationToken)
    {
        if (limits.TokenBudget > 0 && storedTokens is not null)
        {
            var now = timeProvider.GetUtcNow();
            bool stale;
            lock (gate) stale = now - State(keyId).StoredAt > BudgetRefresh;
            if (stale)
            {
                var total = await storedTokens(keyId, cancellationToken);
                lock (gate)
                {
                    var state = State(keyId);
                    state.StoredTokens = total;
                    state.LocalSinceStored = 0;
                    state.StoredAt = now;
                }
            }
        }
        Admit(keyId);
    }

    /// <summary>Admits a request or throws <see cref="RateLimitedException"/> with the wait before a retry can succeed.</summary>
    public void Admit(string keyId)
    {
        var now = timeProvider.GetUtcNow();
        lock (gate)
        {
            var state = State(keyId);
            state.Trim(now - Window);
            if (limits.TokenBudget > 0 && Math.Max(state.TotalTokens, state.StoredTokens + state.LocalSinceStored) >= limits.TokenBudget)
                throw new RateLimitedException($"key {keyId} has used its token budget of {limits.TokenBudget}.", "token_budget_exhausted", BudgetRetryAfter);
            if (limits.RequestsPerMinute > 0 && state.Requests.Count >= limits.RequestsPerMinute)
                throw new RateLimitedException($"key {keyId} reached {limits.RequestsPerMinute} requests per minute.", "rate_limit_exceeded",
                    state.Requests.Peek() + Window - now);
            if (limits.TokensPerMinute > 0 && state.TokensInWindow >= limits.TokensPerMinute)
                throw new RateLimitedException($"key {keyId} reached {limits.TokensPerMinute} tokens per minute.", "rate_limit_exceeded",
                    state.Tokens.Peek().At + Window - now);
            state.Requests.Enqueue(now);
            state.RequestCount++;
        }
    }

    /// <summary>Counts a finished request's tokens against the key.</summary>
    public void Record(string keyId, int promptTokens, int completionTokens)
    {
        var now = timeProvider.GetUtcNow();
        lock (gate)
        {
            var state = State(keyId);
            var tokens = promptTokens + completionTokens;
            state.Tokens.Enqueue((now, tokens));
            state.TokensInWindow += tokens;
            state.TotalTokens += tokens;
            state.LocalSinceStored += tokens;
            state.PromptTokens += promptTokens;
            state.CompletionTokens += completionTokens;
        }
    }

    /// <summary>What a key has used since the process started.</summary>
    public KeyUsage Usage(string keyId)
    {
        lock (gate)
        {
            return keys.TryGetValue(keyId, out var s) ? new KeyUsage(keyId, s.RequestCount, s.PromptTokens, s.CompletionTokens) : new KeyUsage(keyId, 0, 0, 0);
        }
    }

    KeyState State(string keyId)
    {
        if (!keys.TryGetValue(keyId, out var state)) keys[keyId] = state = new KeyState();
        return state;
    }

    sealed class KeyState
    {
        public Queue<DateTimeOffset> Requests { get; } = new();
        public Queue<(DateTimeOffset At, int Count)> Tokens { get; } = new();
        public long TokensInWindow { get; set; }
        public long StoredTokens { get; set; }
        public long LocalSinceStored { get; set; }
        public DateTimeOffset StoredAt { get; set; } = DateTimeOffset.MinValue;
        public long TotalTokens { get; set; }
        public long RequestCount { get; set; }
        public long PromptTokens { get; set; }
        public long CompletionTokens { get; set; }

        public void Trim(DateTimeOffset since)
        {
            while (Requests.Count > 0 && Requests.Peek() <= since) Requests.Dequeue();
            while (Tokens.Count > 0 && Tokens.Peek().At <= since) TokensInWindow -= Tokens.Dequeue().Count;
        }
    }
}
