using WithCache.Server.Blobs;
using WithCache.Server.Catalog;

namespace WithCache.Server.Hosting;

/// <summary>
/// The one answer to a shared catalog or blob store that cannot be reached, for every route (a hit, a probe, a miss,
/// a UI page, the API): 503 with Retry-After instead of a 500, at once, which the shims' probe takes as a miss, so they
/// fetch from the origin. Nothing is remembered about it; the next request tries the engine again.
/// </summary>
internal static partial class EngineOutage
{
    public static async Task HandleAsync(HttpContext context, Func<Task> next)
    {
        try
        {
            await next();
        }
        catch (Exception e) when (e is CatalogUnavailableException or ObjectStoreUnavailableException && !context.Response.HasStarted)
        {
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(EngineOutage).FullName!);
            var engine = e is CatalogUnavailableException ? "catalog" : "blob store";
            LogUnavailable(logger, engine, e.Message);

            // Clear drops what a hit had set already (its digests, its cache lifetime); the security headers go back on.
            var response = context.Response;
            response.Clear();
            SecurityHeaders.Apply(response.Headers);
            response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            response.Headers.RetryAfter = "5";
            response.Headers.CacheControl = "no-store";
            response.Headers[ReadPath.ReadPathEndpoints.StateHeader] = "unavailable";
            response.ContentType = "text/plain; charset=utf-8";
            await response.WriteAsync($"cache unavailable: the {engine} cannot be reached; try again shortly\n");
        }
    }

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Answered 503: the {Engine} is unavailable ({Reason})")]
    private static partial void LogUnavailable(ILogger logger, string engine, string reason);
}
