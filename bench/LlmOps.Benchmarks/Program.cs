using System.Diagnostics;
using System.Globalization;
using LlmOps.Benchmarks;
using LlmOps.Benchmarks.Serving;
using LlmOps.DataPrep;
using LlmOps.DataPrep.Recipes;

// Data preparation throughput harness. Each measurement should run in its own process so that peak
// memory belongs to that run alone (see bench/README.md for the commands).
//   generate <path> <megabytes>
//   run <streaming|near|full> <corpus.jsonl> [threads]
//   profile <corpus.jsonl>      (per-component timings, one thread, records in memory)
//   training [--steps N] [--no-peer]   (training tokens/s against the PyTorch peer)
//   traces ingest sqlite|postgres [records] | traces overhead [requests] [rounds]   (trace store)
//   serving [hidden] [layers] [tokens] [n,n,…] [threads]   (llama.cpp: per-request contexts vs continuous batching)
//   serving-gateway [--hidden H] [--layers L] [--tokens N] [--rounds R] [--threads T] [--slots S] [--prompt P] [--paths p,…]
//                                (one stream through the HTTP gateway against LLamaSharp called directly)
//   serving-decode-peer …        (one path of serving-gateway in its own process; started by it)
//   serving-overhead [--rate R] [--seconds S] [--warmup W] [--block B] [--fronts default,…]
//                                (latency a front LlmOps adds before an upstream LlmOps on loopback, open-loop load)
//   serving-soak [--rate R] [--seconds S] [--warmup W] [--sample E] [--front default]
//                                (the front's resident memory over a long run of that load)
//   serving-node --role upstream|front|gguf …   (an LlmOps server node of the modes above; started by them)
var inv = CultureInfo.InvariantCulture;
if (args.Length >= 1 && args[0] == "traces")
    return await TraceBench.RunAsync(args.Skip(1).ToArray());
if (args.Length >= 1 && args[0] == "training")
    return await LlmOps.Benchmarks.Training.TrainingThroughput.RunAsync(args.Skip(1).ToArray());
if (args.Length >= 3 && args[0] == "generate")
{
    var sw = Stopwatch.StartNew();
    var stats = CorpusGenerator.Write(args[1], long.Parse(args[2], inv) * 1_000_000);
    Console.WriteLine(string.Create(inv, $"generated {stats.Records} records, {stats.Bytes / 1e6:0.0} MB, planted exact {stats.ExactPlanted}, near {stats.NearPlanted}, pii {stats.PiiPlanted} in {sw.Elapsed.TotalSeconds:0.0} s"));
    return 0;
}
if (args.Length >= 1 && args[0] == "serving-overhead")
    return await GatewayOverheadBench.RunAsync(args[1..]);
if (args.Length >= 1 && args[0] == "serving-soak")
    return await GatewaySoakBench.RunAsync(args[1..]);
if (args.Length >= 1 && args[0] == "serving-node")
    return await ServingNode.RunAsync(args[1..]);
if (args.Length >= 1 && args[0] == "serving-decode-peer")
    return GatewayDecodeBench.RunPeer(args[1..]);
if (args.Length >= 1 && args[0] == "serving-gateway")
    return await GatewayDecodeBench.RunAsync(args[1..]);
if (args.Length >= 1 && args[0] == "serving")
{
    // serving [hidden] [layers] [tokens] [concurrency,concurrency,...] [threads]
    await ServingBench.RunAsync(
        args.Length > 1 ? int.Parse(args[1], inv) : 256,
        args.Length > 2 ? int.Parse(args[2], inv) : 4,
        args.Length > 3 ? int.Parse(args[3], inv) : 64,
        (args.Length > 4 ? args[4] : "1,4,8").Split(',').Select(c => int.Parse(c, inv)).ToArray(),
        args.Length > 5 ? int.Parse(args[5], inv) : 2);
    return 0;
}
if (args.Length >= 2 && args[0] == "profile")
{
    await ComponentProfile.RunAsync(args[1]);
    return 0;
}
if (args.Length >= 3 && args[0] == "run")
{
    var recipe = args[1] switch
    {
        "streaming" => "steps:\n  - normalize\n  - dedupe_exact\n  - redact_pii\n",
        "near" => "steps:\n  - dedupe_near\n",
        "none" => "steps: []\n",
        "normalize" or "dedupe_exact" or "redact_pii" or "dedupe_near" => $"steps:\n  - {args[1]}\n",
        "full" => "steps:\n  - normalize\n  - filter_length: { min_chars: 20 }\n  - filter_repetition\n  - filter_symbols\n  - dedupe_exact\n  - dedupe_near\n  - redact_pii\n",
        _ => throw new ArgumentException("recipe must be streaming, near, full, none or one step name"),
    };
    var threads = args.Length > 3 ? int.Parse(args[3], inv) : Environment.ProcessorCount;
    var output = Path.Combine(Path.GetTempPath(), "llmops-bench-" + Environment.ProcessId.ToString(inv));
    try
    {
        var result = await new DatasetPreparer().PrepareAsync([args[2]], Recipe.Parse(recipe), output, new PrepareOptions { Threads = threads });
        var inputBytes = new FileInfo(args[2]).Length;
        var process = Process.GetCurrentProcess();
        var peak = process.PeakWorkingSet64;
        var cpu = process.TotalProcessorTime.TotalSeconds;
        var report = result.Report;
        Console.WriteLine(string.Create(inv,
            $"{args[1]}: {inputBytes / 1e6:0.0} MB, {report.RecordsRead} records, threads {threads}: {result.Elapsed.TotalSeconds:0.00} s, "
            + $"{inputBytes / 1e6 / result.Elapsed.TotalSeconds:0.0} MB/s, {report.RecordsRead / result.Elapsed.TotalSeconds:0} records/s, peak working set {peak / 1e6:0} MB"));
        // On a shared machine wall time depends on the neighbours; CPU time does not. MB per CPU-second times
        // the machine's cores is the ceiling this run would approach with the machine to itself.
        var cores = Environment.ProcessorCount;
        Console.WriteLine(string.Create(inv,
            $"  cpu {cpu:0.00} s ({inputBytes / 1e6 / cpu:0.0} MB per cpu-second; x{cores} cores = {inputBytes / 1e6 / cpu * cores:0.0} MB/s ceiling), load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
        Console.WriteLine("  duplicates: " + string.Join(", ", report.DuplicatesFound.Select(p => $"{p.Key} {p.Value}")));
        Console.WriteLine("  pii: " + string.Join(", ", report.PiiFound.Select(p => $"{p.Key} {p.Value}")));
        Console.WriteLine("  version: " + result.VersionId);
    }
    finally
    {
        Directory.Delete(output, recursive: true);
    }
    return 0;
}
Console.Error.WriteLine("usage: generate <path> <MB> | run <streaming|near|full> <corpus.jsonl> [threads]");
return 2;
