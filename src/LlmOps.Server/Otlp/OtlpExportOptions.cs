namespace LlmOps.Server.Otlp;

/// <summary>Where the server exports its OpenTelemetry spans (the gateway's <c>gen_ai</c> spans and their ASP.NET Core request
/// spans); part of <see cref="ServerOptions"/>, null means off unless <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.</summary>
public sealed class OtlpExportOptions
{
    public const string HttpProtobuf = "http/protobuf";
    public const string Grpc = "grpc";
    public static IReadOnlyList<string> Protocols { get; } = [HttpProtobuf, Grpc];

    /// <summary>The collector's base URL, as <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> takes it (<c>http://collector:4318</c>); over
    /// http/protobuf <c>/v1/traces</c> is appended unless the URL already ends with it.</summary>
    public string Endpoint { get; set; } = "";

    /// <summary><see cref="HttpProtobuf"/> (default, port 4318 by convention) or <see cref="Grpc"/> (4317).</summary>
    public string Protocol { get; set; } = HttpProtobuf;

    /// <summary>Headers sent with every export, as <c>OTEL_EXPORTER_OTLP_HEADERS</c> takes them: <c>key=value,key2=value2</c>
    /// (e.g. <c>Authorization=Bearer llmops_…</c> for another LlmOps server's <c>/v1/traces</c>). Null: the environment's, if any.</summary>
    public string? Headers { get; set; }

    /// <summary>Throws <see cref="InvalidInputException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
            throw new InvalidInputException("otlp.endpoint", $"'{Endpoint}' is not an http(s) URL (e.g. http://localhost:4318).");
        if (!Protocols.Contains(Protocol))
            throw new InvalidInputException("otlp.protocol", $"'{Protocol}' is not one of {string.Join(", ", Protocols)}.");
        if (Headers is not null)
        {
            foreach (var pair in Headers.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0 || pair[..equals].Trim().Length == 0)
                    throw new InvalidInputException("otlp.headers", "write headers as key=value pairs separated by commas.");
            }
        }
    }

    /// <summary>The URL the exporter posts to: over http/protobuf the traces path under <see cref="Endpoint"/>.</summary>
    public Uri TracesEndpoint()
    {
        var uri = new Uri(Endpoint, UriKind.Absolute);
        if (Protocol != HttpProtobuf || uri.AbsolutePath.EndsWith("/v1/traces", StringComparison.Ordinal)) return uri;
        var builder = new UriBuilder(uri);
        builder.Path = builder.Path.TrimEnd('/') + "/v1/traces";
        return builder.Uri;
    }
}
