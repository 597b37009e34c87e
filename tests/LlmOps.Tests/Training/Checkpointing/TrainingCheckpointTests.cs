using LlmOps.Training.Checkpointing;

namespace LlmOps.Tests.Training.Checkpointing;

public sealed class TrainingCheckpointTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("llmops-ckpt-").FullName;

    [Fact]
    public async Task WriteAsync_ThenReadAsync_ReturnsTheSectionsAndLeavesNoTemporaryFile()
    {
        var path = Path.Combine(directory, TrainingCheckpoint.FileName(3));
        var sections = new Dictionary<string, byte[]> { ["a"] = [1, 2, 3], ["empty"] = [], ["b"] = new byte[1000] };

        await new TrainingCheckpoint(sections).WriteAsync(path);
        var read = await TrainingCheckpoint.ReadAsync(path);

        Assert.Equal(sections.Keys.Order(), read.Sections.Keys.Order());
        Assert.Equal(sections["a"], read.Section("a"));
        Assert.Empty(read.Section("empty"));
        Assert.Equal([TrainingCheckpoint.FileName(3)], Directory.GetFiles(directory).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Latest_WithLeftoverTemporaryFileFromACrash_PicksTheNewestCompleteCheckpoint()
    {
        await new TrainingCheckpoint(new Dictionary<string, byte[]> { ["a"] = [1] }).WriteAsync(Path.Combine(directory, TrainingCheckpoint.FileName(2)));
        await new TrainingCheckpoint(new Dictionary<string, byte[]> { ["a"] = [1] }).WriteAsync(Path.Combine(directory, TrainingCheckpoint.FileName(10)));
        await File.WriteAllBytesAsync(Path.Combine(directory, "." + TrainingCheckpoint.FileName(20) + ".tmp-123"), [1, 2, 3]);

        Assert.Equal(Path.Combine(directory, TrainingCheckpoint.FileName(10)), TrainingCheckpoint.Latest(directory));
    }

    [Fact]
    public async Task ReadAsync_SectionByteChanged_ThrowsInvalidData()
    {
        var path = Path.Combine(directory, TrainingCheckpoint.FileName(1));
        await new TrainingCheckpoint(new Dictionary<string, byte[]> { ["model"] = new byte[64] }).WriteAsync(path);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[40] ^= 1;
        await File.WriteAllBytesAsync(path, bytes);

        await Assert.ThrowsAsync<InvalidDataException>(() => TrainingCheckpoint.ReadAsync(path));
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
