using LlmOps.Audit;

namespace LlmOps.Tests.Audit;

public class AuditChainTests
{
    static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    static List<AuditEntry> Chain(int count)
    {
        var entries = new List<AuditEntry>();
        var previous = AuditChain.Genesis;
        for (var i = 1; i <= count; i++)
        {
            var at = T0.AddSeconds(i);
            var hash = AuditChain.ComputeHash(i, at, "actor", "model.create", "model", $"m{i}", null, $"{{\"n\":{i}}}", previous);
            entries.Add(new AuditEntry(i, at, "actor", "model.create", "model", $"m{i}", null, $"{{\"n\":{i}}}", previous, hash));
            previous = hash;
        }
        return entries;
    }

    [Fact]
    public async Task VerifyAsync_IntactChain_ReportsIntactWithCount()
    {
        var result = await AuditChain.VerifyAsync(Chain(5).ToAsyncEnumerable());
        Assert.True(result.IsIntact);
        Assert.Equal(5, result.EntriesChecked);
        Assert.Null(result.FirstBrokenSequence);
    }

    [Fact]
    public async Task VerifyAsync_AlteredContent_ReportsThatEntry()
    {
        var entries = Chain(5);
        entries[2] = entries[2] with { After = "{\"n\":999}" };
        var result = await AuditChain.VerifyAsync(entries.ToAsyncEnumerable());
        Assert.False(result.IsIntact);
        Assert.Equal(3, result.FirstBrokenSequence);
        Assert.Contains("altered", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAsync_RecomputedHashOfAlteredEntry_BreaksTheNextLink()
    {
        var entries = Chain(5);
        var e = entries[1] with { ActorId = "mallory" };
        entries[1] = e with { Hash = AuditChain.ComputeHash(e.Sequence, e.At, e.ActorId, e.Action, e.EntityType, e.EntityId, e.Before, e.After, e.PreviousHash) };
        var result = await AuditChain.VerifyAsync(entries.ToAsyncEnumerable());
        Assert.False(result.IsIntact);
        Assert.Equal(3, result.FirstBrokenSequence);
    }

    [Fact]
    public async Task VerifyAsync_MissingEntry_ReportsTheGap()
    {
        var entries = Chain(5);
        entries.RemoveAt(1);
        var result = await AuditChain.VerifyAsync(entries.ToAsyncEnumerable());
        Assert.False(result.IsIntact);
        Assert.Equal(3, result.FirstBrokenSequence);
        Assert.Contains("entry 2 is missing", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ComputeHash_NullAndEmptyFields_HashDifferently()
    {
        var withNull = AuditChain.ComputeHash(1, T0, "a", "x", "t", "id", null, "", AuditChain.Genesis);
        var withEmpty = AuditChain.ComputeHash(1, T0, "a", "x", "t", "id", "", "", AuditChain.Genesis);
        var shifted = AuditChain.ComputeHash(1, T0, "a", "x", "t", "id", "", null, AuditChain.Genesis);
        Assert.NotEqual(withNull, withEmpty);
        Assert.NotEqual(withEmpty, shifted);
    }
}
