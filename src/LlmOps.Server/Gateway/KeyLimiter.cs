namespace LlmOps.Server.Gateway;

/// <summary>Per-key request and token limits over a rolling minute, a token budget, and the usage counted per key.</summary>
public sealed class KeyLimiter(KeyLimits limits, TimeProvider timeProvider)
{
    static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>Retry-After sent when the budget is spent: it does not refill by itself, so a long wait.</summary>
    public static readonly TimeSpan BudgetRetryAfter = TimeSpan.FromHours(1);

    readonly Lock gate = new();
    readonly Dictionary<string, KeyState> keys = new(StringComparer.Ordinal);

    /// <summary>Admits a request or throws <see cref="RateLimitedException"/> with the wait before a retry can succeed.</summary>
    public void Admit(string keyId)
    {
        var now = timeProvider.GetUtcNow();
        lock (gate)
        {
            var state = State(keyId);
            state.Trim(now - Window);
            if (limits.TokenBudget > 0 && state.TotalTokens >= limits.TokenBudget)
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

/// <summary>Requests and tokens a key has used.</summary>
public sealed record KeyUsage(string KeyId, long Requests, long PromptTokens, long CompletionTokens);
