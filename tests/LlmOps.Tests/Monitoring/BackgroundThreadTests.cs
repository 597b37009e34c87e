using LlmOps.Monitoring;

namespace LlmOps.Tests.Monitoring;

public sealed class BackgroundThreadTests
{
    [Fact]
    public async Task Loop_ResumesOnItsOwnThread_AtALowerPriority()
    {
        var threads = new List<int>();
        int? nice = null;
        string? name = null;
        await BackgroundThread.Run("test loop", async () =>
        {
            name = Thread.CurrentThread.Name;
            nice = BackgroundThread.CurrentNice();
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
        if (OperatingSystem.IsLinux()) Assert.Equal(BackgroundThread.Nice, nice);
        // The pool's threads are not touched.
        if (OperatingSystem.IsLinux()) Assert.Equal(0, await Task.Run(BackgroundThread.CurrentNice));
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
