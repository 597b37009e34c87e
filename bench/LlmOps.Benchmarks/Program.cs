using LlmOps.Benchmarks.Training;

// Usage: dotnet run -c Release --project bench/LlmOps.Benchmarks -- training [--steps N] [--no-peer]
var command = args.FirstOrDefault() ?? "training";
return command switch
{
    "training" => await TrainingThroughput.RunAsync(args.Skip(1).ToArray()),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: LlmOps.Benchmarks training [--steps N] [--no-peer]");
    return 2;
}
