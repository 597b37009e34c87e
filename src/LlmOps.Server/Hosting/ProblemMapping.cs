using System.Text.Json;
using LlmOps.Server.Gateway;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;

namespace LlmOps.Server.Hosting;

/// <summary>Turns exceptions into ProblemDetails: input and rule errors are 4xx naming the problem; anything else is a 500 without internals.</summary>
internal sealed class ProblemMapping(IProblemDetailsService problems, ILogger<ProblemMapping> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (OpenAiErrors.IsGatewayPath(httpContext.Request.Path))
        {
            var error = OpenAiErrors.From(exception);
            if (error.Status >= 500) Log.Unhandled(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
            else Log.RequestRefused(logger, error.Status, error.Code ?? error.Type, error.Message);
            if (httpContext.Response.HasStarted)
            {
                httpContext.Abort();
                return true;
            }
            if (exception is RateLimitedException limited)
                httpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(limited.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await OpenAiErrors.WriteAsync(httpContext, error);
            return true;
        }
        var problem = ToProblem(exception);
        if (problem.Status >= 500) Log.Unhandled(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
        else Log.RequestRefused(logger, problem.Status!.Value, problem.Title ?? "", problem.Detail ?? "");
        if (httpContext.Response.HasStarted)
        {
            httpContext.Abort();
            return true;
        }
        httpContext.Response.StatusCode = problem.Status!.Value;
        if (exception is StorageException { IsTransient: true }) httpContext.Response.Headers.RetryAfter = "1";
        problem.Instance = httpContext.Request.Path;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    internal static ProblemDetails ToProblem(Exception exception)
    {
        switch (exception)
        {
            case NotFoundException notFound:
                return Problem(StatusCodes.Status404NotFound, "Not found", notFound.Message);
            case InvalidInputException invalid:
                var problem = Problem(StatusCodes.Status400BadRequest, "Invalid input", invalid.Message);
                problem.Extensions["field"] = invalid.Field;
                return problem;
            case RuleViolationException rule:
                var conflict = Problem(StatusCodes.Status409Conflict, "Refused by rule", rule.Message);
                conflict.Extensions["rule"] = rule.Rule;
                return conflict;
            case PermissionDeniedException denied:
                return Problem(StatusCodes.Status403Forbidden, "Forbidden", denied.Message);
            case StorageException { IsTransient: true } busy:
                return Problem(StatusCodes.Status503ServiceUnavailable, "Store busy", $"{busy.Message} Retry shortly.");
            case BadHttpRequestException bad:
                return Problem(bad.StatusCode, bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Request body too large" : "Bad request",
                    Describe(bad));
            case JsonException json:
                return Problem(StatusCodes.Status400BadRequest, "Malformed JSON", json.Message);
            case IntegrityException integrity:
                return Problem(StatusCodes.Status500InternalServerError, "Integrity check failed", integrity.Message);
            default:
                return Problem(StatusCodes.Status500InternalServerError, "Internal error", "The server failed while handling the request; the server log has the details.");
        }
    }

    static string Describe(BadHttpRequestException bad)
    {
        // Minimal APIs wrap the JSON reader's error; its message names the path and line of the problem.
        for (Exception? inner = bad.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is JsonException json) return $"{bad.Message} {json.Message}";
        }
        return bad.Message;
    }

    static ProblemDetails Problem(int status, string title, string detail) => new() { Status = status, Title = title, Detail = detail };
}
