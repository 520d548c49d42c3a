using System.Text;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace WithCache.Server.Observability;

/// <summary>
/// <c>/healthz</c> says the process is up (liveness: it never looks at the engines, so a database outage does not get
/// a host restarted); <c>/healthz/ready</c> says whether it can serve: the catalog and the blob store answer (200), or
/// not (503, one line per check saying which). A load balancer takes a host out of rotation on the second.
/// </summary>
internal static class HealthEndpoints
{
    public const string ReadyPath = "/healthz/ready";

    public static IServiceCollection AddReadinessChecks(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<CatalogHealthCheck>("catalog", tags: ["ready"])
            .AddCheck<BlobStoreHealthCheck>("blobs", tags: ["ready"]);
        return services;
    }

    public static IEndpointConventionBuilder MapReadiness(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapHealthChecks(ReadyPath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("ready"),
            ResponseWriter = WriteAsync,
            AllowCachingResponses = false,
        });

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var text = new StringBuilder(report.Status == HealthStatus.Healthy ? "ready\n" : "not ready\n");
        foreach (var (name, entry) in report.Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            text.Append(name).Append(": ").Append(entry.Status == HealthStatus.Healthy ? "ok" : "unavailable")
                .Append(" (").Append(entry.Description).Append(")\n");
        }

        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text.ToString());
    }
}
