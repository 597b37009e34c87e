#!/usr/bin/env bash
# Data preparation benchmark: generates 50 MB and 200 MB corpora and runs each recipe three times
# (each run a fresh process, so its peak working set is its own). Results go to stdout; copy the
# best run of each into bench/README.md together with the load average it reports.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-/tmp/llmops-bench}
mkdir -p "$dir"
dotnet build bench/LlmOps.Benchmarks -c Release -v q -nologo
B=bench/LlmOps.Benchmarks/bin/Release/net10.0/LlmOps.Benchmarks
[ -f "$dir/c50.jsonl" ] || $B generate "$dir/c50.jsonl" 50
[ -f "$dir/c200.jsonl" ] || $B generate "$dir/c200.jsonl" 200
for corpus in c50 c200; do
  for recipe in streaming near; do
    for n in 1 2 3; do $B run $recipe "$dir/$corpus.jsonl"; done
  done
done
$B run streaming "$dir/c200.jsonl" 1
$B profile "$dir/c50.jsonl"
