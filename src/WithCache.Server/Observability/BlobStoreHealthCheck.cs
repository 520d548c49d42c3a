using Microsoft.Extensions.Diagnostics.HealthChecks;
using WithCache.Server.Blobs;

namespace WithCache.Server.Observability;

/// <summary>Readiness: the blob store answers (one HEAD of the bucket), or the data dir's folders are there.</summary>
internal sealed class BlobStoreHealthCheck(BlobBackend blobs) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var where = blobs.Location is { } location ? location.ToString() : "data dir";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            await blobs.PingAsync(timeout.Token);
            return HealthCheckResult.Healthy(where);
        }
        catch (Exception e) when (e is ObjectStoreUnavailableException or IOException or OperationCanceledException or Amazon.S3.AmazonS3Exception
                                  && !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"{where}: {(e is OperationCanceledException ? $"no answer within {Timeout.TotalSeconds:0} s" : e.Message)}");
        }
    }
}
