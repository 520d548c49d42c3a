using System.Diagnostics;
using WithCache.Server.ReadPath;

namespace WithCache.Server.Observability;

/// <summary>
/// The outermost middleware: times every request, feeds the read path's counters and latency histogram, and writes
/// one log line per request in category <see cref="Category"/>. The line names a route kind, never a read-path path
/// or query (a token is the origin URL, signed query and all); for the UI, the route template at most.
/// The hit path pays a timestamp, a header look-up and a few interlocked adds; nothing is allocated for it.
/// Read-path lines (<c>/b/</c>, <c>/blob</c>, <c>/healthz</c>) are at Debug, the rest at Information: a console line
/// per 16-byte hit cost about a quarter of the hit rate (bench/small-hits.sh), so that volume is opt-in.
/// </summary>
internal sealed partial class RequestTelemetry
{
    public const string Category = "WithCache.Requests";

    private const string NoRoute = "-";

    private readonly RequestDelegate _next;
    private readonly ServerMetrics _metrics;
    private readonly ILogger _logger;

    public RequestTelemetry(RequestDelegate next, ServerMetrics metrics, ILoggerFactory loggers)
    {
        _next = next;
        _metrics = metrics;
        _logger = loggers.CreateLogger(Category);
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var start = Stopwatch.GetTimestamp();
        var failed = false;

        // Off the read path (UI pages, the API, metrics) the body is often written without a Content-Length: count
        // what is written, for the log line. The read path keeps its direct body (and the file send behind it).
        CountingStream? counted = null;
        if (ReadPathEndpoints.RouteKindOf(context.Request.Path) is null && _logger.IsEnabled(LogLevel.Information))
        {
            counted = new CountingStream(context.Response.Body);
            context.Response.Body = counted;
        }

        try
        {
            await _next(context);
        }
        catch
        {
            failed = true;
            throw;
        }
        finally
        {
            if (counted is not null)
            {
                context.Response.Body = counted.Inner;
            }

            Record(context, Stopwatch.GetElapsedTime(start), failed, counted?.Written);
        }
    }

    private void Record(HttpContext context, TimeSpan elapsed, bool failed, long? written)
    {
        var kind = ReadPathEndpoints.RouteKindOf(context.Request.Path);
        if (kind is "fetch" or "blob")
        {
            CountRead(context, elapsed);
        }

        var route = NoRoute;
        var level = kind is null ? LogLevel.Information : LogLevel.Debug;
        if (_logger.IsEnabled(level))
        {
            var request = context.Request;
            var response = context.Response;
            kind ??= KindOf(context, out route);
            var bytes = HttpMethods.IsHead(request.Method) ? 0 : written ?? response.ContentLength ?? 0;
            LogRequest(_logger, level, request.Method, kind, route, failed ? StatusCodes.Status500InternalServerError : response.StatusCode, bytes, elapsed.TotalMilliseconds);
        }
    }

    private void CountRead(HttpContext context, TimeSpan elapsed)
    {
        var response = context.Response;
        var result = response.Headers[ReadPathEndpoints.StateHeader];
        var index = result.Count == 1 ? IndexOf(result[0]) : -1;
        if (index < 0)
        {
            // Neither GET nor HEAD (a 405), or a fault before the handler decided.
            return;
        }

        var method = context.Request.Method;
        var head = HttpMethods.IsHead(method);
        if (index == 0)
        {
            _metrics.CountHit();
            if (!head && response.StatusCode is StatusCodes.Status200OK or StatusCodes.Status206PartialContent
                && response.ContentLength is { } length && !context.RequestAborted.IsCancellationRequested)
            {
                _metrics.CountServed(length);
            }
        }
        else if (index == 1)
        {
            _metrics.CountMiss();
        }

        if (head || HttpMethods.IsGet(method))
        {
            _metrics.ObserveRead(head, index, elapsed);
        }
    }

    private static int IndexOf(string? result)
    {
        var results = ServerMetrics.ReadResults;
        for (var i = 0; i < results.Count; i++)
        {
            if (string.Equals(results[i], result, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The route kind of a request off the read path; <paramref name="route"/> is the UI's or API's route template.</summary>
    private static string KindOf(HttpContext context, out string route)
    {
        route = NoRoute;
        if (context.Request.Path.StartsWithSegments(MetricsEndpoints.Path))
        {
            return "metrics";
        }

        if (context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } template })
        {
            route = template;
            return template.StartsWith("/api", StringComparison.Ordinal) ? "api" : "ui";
        }

        // No endpoint matched: the static-file middleware answered, or nothing did.
        return context.Response.StatusCode is StatusCodes.Status200OK or StatusCodes.Status206PartialContent or StatusCodes.Status304NotModified
            ? "static"
            : "other";
    }

    [LoggerMessage(EventId = 1700, Message = "{Method} {RouteKind} {Route} {Status} {Bytes} bytes {ElapsedMs:0.0} ms")]
    private static partial void LogRequest(ILogger logger, LogLevel level, string method, string routeKind, string route, int status, long bytes, double elapsedMs);
}
