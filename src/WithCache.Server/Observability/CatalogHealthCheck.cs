using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using WithCache.Server.Catalog;
using WithCache.Server.Hosting;

namespace WithCache.Server.Observability;

/// <summary>
/// Readiness: the catalog answers a trivial query within <see cref="ServerOptions.CatalogReadTimeout"/>. A database that
/// hangs makes readiness a quick 503, like one that refuses, and no thread waits on it meanwhile.
/// </summary>
internal sealed class CatalogHealthCheck(ICacheCatalog catalog, IOptions<ServerOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        // SQLite's ping is a blocking local read; /healthz is on the read path, which runs on the socket's I/O thread.
        await Task.Yield();
        var limit = options.Value.CatalogReadTimeout;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);
        try
        {
            await CatalogWait.WithinAsync(catalog.PingAsync(timeout.Token), limit, cancellationToken);
            return HealthCheckResult.Healthy(catalog.Kind);
        }
        catch (CatalogUnavailableException e)
        {
            return HealthCheckResult.Unhealthy($"{catalog.Kind}: {e.Message}");
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
        {
            // The ping's own cancellation came first (a slow but live server).
            return HealthCheckResult.Unhealthy(string.Create(CultureInfo.InvariantCulture, $"{catalog.Kind}: no answer within {limit.TotalSeconds:0.#} s"));
        }
    }
}
