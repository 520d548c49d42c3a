using WithCache.Server.Blobs;
using WithCache.Server.Catalog;

namespace WithCache.Server.Hosting;

/// <summary>
/// The last word on a shared catalog or blob store that cannot be reached: any request it reaches (a UI page, the
/// API, a miss) answers 503 with Retry-After instead of a 500, and the next request tries the engine again.
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
            LogUnavailable(logger, e is CatalogUnavailableException ? "catalog" : "blob store", e.Message);
            context.Response.Clear();
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "5";
            context.Response.Headers["X-WithCache"] = "unavailable";
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(e is CatalogUnavailableException
                ? "cache unavailable: the catalog cannot be reached; try again shortly\n"
                : "cache unavailable: the blob store cannot be reached; try again shortly\n");
        }
    }

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Answered 503: the {Engine} is unavailable ({Reason})")]
    private static partial void LogUnavailable(ILogger logger, string engine, string reason);
}
