using Microsoft.AspNetCore.Http.HttpResults;

namespace WithCache.Server.Observability;

/// <summary><c>GET /metrics</c> in Prometheus text format: open like the read path, or behind WITHCACHE_METRICS_TOKEN.</summary>
internal static class MetricsEndpoints
{
    public const string Path = "/metrics";

    public static RouteGroupBuilder MapMetrics(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("");
        group.MapGet(Path, Scrape);
        return group;
    }

    private static Results<PushStreamHttpResult, UnauthorizedHttpResult> Scrape(HttpContext context, ServerMetrics metrics)
    {
        if (!metrics.Admits(context.Request.Headers.Authorization))
        {
            // RFC 6750 section 3: a 401 names the scheme the client should use.
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"withcache metrics\"";
            return TypedResults.Unauthorized();
        }

        context.Response.Headers.CacheControl = "no-store";
        var aborted = context.RequestAborted;
        return TypedResults.Stream(body => metrics.WriteAsync(body, aborted), ServerMetrics.ContentType);
    }
}
