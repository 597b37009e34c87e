using System.Buffers;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using LlmOps.Deployments;
using LlmOps.Identity;
using LlmOps.Inference;
using LlmOps.Monitoring;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace LlmOps.Server.Gateway;

/// <summary><c>POST /v1/embeddings</c>: the same deployments, canary draw, fallback chain, limits, trace and metrics as chat.</summary>
public sealed class EmbeddingsEndpoint(GatewayService gateway, ChatRuntimes runtimes, ITraceSink traces, KeyLimiter limiter, GatewayMetrics metrics,
    GatewayOptions options, TimeProvider timeProvider, ILogger<EmbeddingsEndpoint> logger)
{
    public const int MaxInputs = 2048;

    public async Task HandleAsync(HttpContext http, Actor actor)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(actor);
        var arrived = Stopwatch.GetTimestamp();
        var at = timeProvider.GetUtcNow();
        using var body = await JsonDocument.ParseAsync(http.Request.Body, default, http.RequestAborted);
        var (model, inputs, base64, dimensions) = Parse(body.RootElement);
        GatewayTelemetry.StartEmbeddings(http, model);
        var deployment = await gateway.ResolveAsync(model, actor, http.RequestAborted);
        await limiter.AdmitAsync(actor.Id, http.RequestAborted);
        var chain = DeploymentRouting.Chain(deployment.Spec, DeploymentRouting.Choose(deployment.Spec, gateway.Draw()));
        var timeout = deployment.Spec.TimeoutSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : options.DefaultTimeout;
        var id = "emb-" + Guid.CreateVersion7().ToString("N");
        var failed = new List<string>();
        Exception? lastError = null;
        foreach (var reference in chain)
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
            attempt.CancelAfter(timeout);
            GeneratedEmbeddings<Embedding<float>> result;
            try
            {
                var generator = await runtimes.GetEmbeddingsAsync(reference, attempt.Token);
                result = await generator.GenerateAsync(inputs, new EmbeddingGenerationOptions { Dimensions = dimensions }, attempt.Token);
            }
            catch (Exception exception) when (exception is not InvalidInputException && !http.RequestAborted.IsCancellationRequested)
            {
                Log.VersionFailed(logger, deployment.Name, reference.Reference, exception.Message);
                failed.Add(reference.Reference);
                lastError = exception;
                continue;
            }
            var tokens = (int)(result.Usage?.InputTokenCount ?? 0);
            http.Response.Headers[GatewayService.VersionHeader] = reference.Reference;
            http.Response.Headers[GatewayService.DeploymentHeader] = deployment.Name;
            await WriteAsync(http, model, result, base64, tokens);
            var total = Stopwatch.GetElapsedTime(arrived);
            string[] labels = [deployment.Name, reference.Reference];
            metrics.E2e.Observe(total.TotalSeconds, labels);
            metrics.Prompt.Inc(tokens, labels);
            metrics.Finished.Inc(1, deployment.Name, reference.Reference, TraceStatus.Ok);
            limiter.Record(actor.Id, tokens, 0);
            await traces.RecordAsync(GatewayTelemetry.Complete(http, new TraceRecord(id, deployment.Name, deployment.Revision, reference.Reference, actor.Id, "embeddings", false,
                failed, null, null, total, tokens, 0, TraceStatus.Ok, null, null, at)));
            return;
        }
        await traces.RecordAsync(GatewayTelemetry.Complete(http, new TraceRecord(id, deployment.Name, deployment.Revision, failed.LastOrDefault() ?? "-", actor.Id, "embeddings", false,
            failed, null, null, Stopwatch.GetElapsedTime(arrived), 0, 0, TraceStatus.Error, lastError?.Message, null, at)));
        throw new InferenceException($"every version of {deployment.Name} failed ({string.Join(", ", failed)}); last error: {lastError?.Message}", isTransient: true, lastError);
    }

    static (string Model, string[] Inputs, bool Base64, int? Dimensions) Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) throw new InvalidInputException("body", "the request body must be a JSON object.");
        if (!body.TryGetProperty("model", out var m) || m.ValueKind != JsonValueKind.String || m.GetString()!.Length == 0)
            throw new InvalidInputException("model", "a non-empty string is required.");
        if (!body.TryGetProperty("input", out var input)) throw new InvalidInputException("input", "input is required.");
        string[] inputs = input.ValueKind switch
        {
            JsonValueKind.String => [input.GetString()!],
            JsonValueKind.Array => [.. input.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String
                ? e.GetString()!
                : throw new InvalidInputException("input", "each input must be a string (token arrays are not supported)."))],
            _ => throw new InvalidInputException("input", "must be a string or an array of strings."),
        };
        if (inputs.Length is 0 or > MaxInputs) throw new InvalidInputException("input", $"give 1 to {MaxInputs} inputs.");
        if (inputs.Any(string.IsNullOrEmpty)) throw new InvalidInputException("input", "an input is empty.");
        var base64 = false;
        if (body.TryGetProperty("encoding_format", out var format) && format.ValueKind != JsonValueKind.Null)
        {
            base64 = format.GetString() switch
            {
                "float" => false,
                "base64" => true,
                _ => throw new InvalidInputException("encoding_format", "use float or base64."),
            };
        }
        int? dimensions = null;
        if (body.TryGetProperty("dimensions", out var d) && d.ValueKind != JsonValueKind.Null)
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out var value) || value < 1) throw new InvalidInputException("dimensions", "must be a positive whole number.");
            dimensions = value;
        }
        return (m.GetString()!, inputs, base64, dimensions);
    }

    static async Task WriteAsync(HttpContext http, string model, GeneratedEmbeddings<Embedding<float>> result, bool base64, int tokens)
    {
        http.Response.ContentType = "application/json";
        var buffer = new ArrayBufferWriter<byte>();
        await using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("object", "list");
            json.WriteStartArray("data");
            for (var i = 0; i < result.Count; i++)
            {
                json.WriteStartObject();
                json.WriteString("object", "embedding");
                json.WriteNumber("index", i);
                var vector = result[i].Vector.Span;
                if (base64)
                {
                    // OpenAI's base64 form: the little-endian float32 bytes.
                    json.WriteBase64String("embedding", MemoryMarshal.AsBytes(vector));
                }
                else
                {
                    json.WriteStartArray("embedding");
                    foreach (var value in vector) json.WriteNumberValue(value);
                    json.WriteEndArray();
                }
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteString("model", model);
            json.WriteStartObject("usage");
            json.WriteNumber("prompt_tokens", tokens);
            json.WriteNumber("total_tokens", tokens);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        await http.Response.Body.WriteAsync(buffer.WrittenMemory, http.RequestAborted);
    }
}
