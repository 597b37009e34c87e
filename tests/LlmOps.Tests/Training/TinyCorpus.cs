using LlmOps.Training.Trainers;

namespace LlmOps.Tests.Training;

/// <summary>Learnable synthetic documents: arithmetic progressions of token ids, so loss can really fall in a few steps.</summary>
internal static class TinyCorpus
{
    public const int EndOfText = 271;

    public static List<TrainingExample> Documents(int count, int seed, int length = 40)
    {
        var random = new Random(seed);
        var documents = new List<TrainingExample>();
        for (var d = 0; d < count; d++)
        {
            var start = random.Next(0, 60);
            var stride = 1 + random.Next(0, 3);
            documents.Add(new TrainingExample([.. Enumerable.Range(0, length).Select(k => (start + k * stride) % 60 + 10)]));
        }
        return documents;
    }
}
