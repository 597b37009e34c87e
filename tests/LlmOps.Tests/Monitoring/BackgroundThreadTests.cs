using LlmOps.Monitoring;

namespace LlmOps.Tests.Monitoring;

public sealed class BackgroundThreadTests
{
    [Fact]
    public async Task Loop_ResumesOnItsOwnThread()
    {
        var threads = new List<int>();
        string? name = null;
        await BackgroundThread.Run("test loop", async () =>
        {
            name = Thread.CurrentThread.Name;
            for (var i = 0; i < 5; i++)
            {
                threads.Add(Environment.CurrentManagedThreadId);
                await Task.Delay(5);
                await Task.Yield();
            }
            threads.Add(Environment.CurrentManagedThreadId);
        });

        Assert.Equal("test loop", name);
        Assert.Single(threads.Distinct());
        Assert.NotEqual(Environment.CurrentManagedThreadId, threads[0]);
    }

    [Fact]
    public async Task Loop_ExceptionEndsTheTask()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => BackgroundThread.Run("failing loop", async () =>
        {
            await Task.Yield();
            throw new InvalidOperationException("broken");
        }));
        Assert.Equal("broken", error.Message);
    }
}
