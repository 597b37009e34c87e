using System.IO.Compression;
using Google.Protobuf;
using LlmOps.Identity;
using LlmOps.Monitoring;
using LlmOps.Server.Otlp.Protocol.Collector;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using RpcStatus = LlmOps.Server.Otlp.Protocol.Rpc.Status;

namespace LlmOps.Server.Otlp;

/// <summary>Receives one OTLP/HTTP trace export: reads the body (protobuf or OTLP JSON, maybe gzip), turns each valid span into
/// a <see cref="TraceRecord"/> (<see cref="OtlpSpans"/>), writes them to the trace sink and answers as OTLP/HTTP requires.</summary>
/// <remarks>Answers: 200 with an <c>ExportTraceServiceResponse</c> in the request's encoding (with <c>partial_success</c> when
/// some spans were invalid); 400 for a body that cannot be read, 413 past <see cref="ServerOptions.MaxRequestBodyBytes"/>
/// (compressed or not), 415 for another content type or encoding, each with a <c>google.rpc.Status</c> body naming the field
/// (protobuf for protobuf requests, its JSON form otherwise). Errors are written here rather than by the exception handler,
/// which answers <c>/v1</c> in OpenAI's shape.</remarks>
public sealed class OtlpTraceReceiver(ITraceSink traces, ServerOptions options, ILogger<OtlpTraceReceiver> logger)
{
    public const string ProtobufContentType = "application/x-protobuf";
    public const string JsonContentType = "application/json";

    /// <summary>google.rpc.Code values used in error bodies.</summary>
    const int InvalidArgument = 3, ResourceExhausted = 8, Unimplemented = 12;

    public async Task HandleAsync(HttpContext http, Actor actor)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(actor);
        var json = IsContentType(http.Request.ContentType, JsonContentType);
        if (!json && !IsContentType(http.Request.ContentType, ProtobufContentType))
        {
            await RefuseAsync(http, json: true, StatusCodes.Status415UnsupportedMediaType, Unimplemented, "Content-Type",
                $"'{http.Request.ContentType}' is not an OTLP encoding; send {ProtobufContentType} or {JsonContentType}.");
            return;
        }

        var encoding = http.Request.Headers.ContentEncoding.ToString().Trim();
        if (encoding.Length > 0 && !encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase) && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            await RefuseAsync(http, json, StatusCodes.Status415UnsupportedMediaType, Unimplemented, "Content-Encoding",
                $"'{encoding}' is not supported; send gzip or no encoding.");
            return;
        }

        byte[] body;
        ExportTraceServiceRequest request;
        try
        {
            body = await ReadBodyAsync(http, gzip: encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase));
            request = json ? OtlpJson.Parse(body) : ParseProtobuf(body);
        }
        catch (Exception tooLarge) when (tooLarge is BodyTooLargeException or BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge })
        {
            await RefuseAsync(http, json, StatusCodes.Status413PayloadTooLarge, ResourceExhausted, "body",
                $"larger than the server's limit of {options.MaxRequestBodyBytes} bytes; export smaller batches.");
            return;
        }
        catch (InvalidInputException invalid)
        {
            await RefuseAsync(http, json, StatusCodes.Status400BadRequest, InvalidArgument, invalid.Field, invalid.Reason);
            return;
        }

        var batch = OtlpSpans.ToRecords(request, actor.Id);
        foreach (var record in batch.Records) await traces.RecordAsync(record, http.RequestAborted);
        var response = new ExportTraceServiceResponse();
        if (batch.Rejected > 0)
        {
            response.PartialSuccess = new ExportTracePartialSuccess { RejectedSpans = batch.Rejected, ErrorMessage = batch.Message };
            Log.OtlpSpansRejected(logger, batch.Rejected, batch.Records.Count + batch.Rejected, actor.Id, batch.Message);
        }
        await WriteAsync(http, json, StatusCodes.Status200OK, response);
    }

    static ExportTraceServiceRequest ParseProtobuf(byte[] body)
    {
        try
        {
            return ExportTraceServiceRequest.Parser.ParseFrom(body);
        }
        catch (InvalidProtocolBufferException malformed)
        {
            throw new InvalidInputException("body", $"not a protobuf ExportTraceServiceRequest: {malformed.Message}");
        }
    }

    async Task<byte[]> ReadBodyAsync(HttpContext http, bool gzip)
    {
        var limit = options.MaxRequestBodyBytes;
        if (http.Request.ContentLength > limit) throw new BodyTooLargeException();
        Stream source = http.Request.Body;
        if (gzip) source = new GZipStream(source, CompressionMode.Decompress, leaveOpen: true);
        await using (source)
        {
            // The decompressed body is bounded too: a small gzip body can inflate a thousandfold.
            using var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            try
            {
                while ((read = await source.ReadAsync(chunk, http.RequestAborted)) > 0)
                {
                    if (buffer.Length + read > limit) throw new BodyTooLargeException();
                    buffer.Write(chunk, 0, read);
                }
            }
            catch (InvalidDataException corrupt)
            {
                throw new InvalidInputException("body", $"Content-Encoding is gzip but the body is not valid gzip: {corrupt.Message}");
            }
            return buffer.ToArray();
        }
    }

    static bool IsContentType(string? contentType, string expected) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed) && parsed.MediaType.Equals(expected, StringComparison.OrdinalIgnoreCase);

    async Task RefuseAsync(HttpContext http, bool json, int status, int code, string field, string reason)
    {
        Log.RequestRefused(logger, status, "OTLP export refused", $"{field}: {reason}");
        await WriteAsync(http, json, status, new RpcStatus { Code = code, Message = $"{field}: {reason}" });
    }

    static async Task WriteAsync(HttpContext http, bool json, int status, IMessage message)
    {
        http.Response.StatusCode = status;
        if (json)
        {
            http.Response.ContentType = JsonContentType;
            await http.Response.WriteAsync(JsonFormatter.Default.Format(message), http.RequestAborted);
        }
        else
        {
            http.Response.ContentType = ProtobufContentType;
            await http.Response.Body.WriteAsync(message.ToByteArray(), http.RequestAborted);
        }
    }

    /// <summary>The body, as sent or decompressed, passed <see cref="ServerOptions.MaxRequestBodyBytes"/>.</summary>
    sealed class BodyTooLargeException : Exception;
}
