using Microsoft.Extensions.Diagnostics.HealthChecks;
using WithCache.Server.Catalog;

namespace WithCache.Server.Observability;

/// <summary>Readiness: the catalog answers a trivial query.</summary>
internal sealed class CatalogHealthCheck(ICacheCatalog catalog) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        // The query blocks; /healthz is on the read path, which runs on the socket's I/O thread: hop off it first.
        await Task.Yield();
        try
        {
            catalog.Ping();
            return HealthCheckResult.Healthy(catalog.Kind);
        }
        catch (CatalogUnavailableException e)
        {
            return HealthCheckResult.Unhealthy($"{catalog.Kind}: {e.Message}");
        }
    }
}
