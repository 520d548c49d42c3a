using Microsoft.Extensions.Diagnostics.HealthChecks;
using WithCache.Server.Blobs;

namespace WithCache.Server.Observability;

/// <summary>Readiness: the blob store can be reached (the data dir's blob folder exists).</summary>
internal sealed class BlobStoreHealthCheck(BlobStore blobs) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(blobs.IsAvailable
            ? HealthCheckResult.Healthy("data dir")
            : HealthCheckResult.Unhealthy("data dir: the blob folder is missing"));
}
