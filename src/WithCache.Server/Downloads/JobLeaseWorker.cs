using Microsoft.Extensions.Options;
using WithCache.Server.Catalog;
using WithCache.Server.Hosting;

namespace WithCache.Server.Downloads;

/// <summary>
/// The heartbeat of this host's download jobs in the catalog, every third of <see cref="ServerOptions.JobLease"/>:
/// renews the lease on the jobs it holds, stops fills whose job it no longer holds (cancelled on another host, or
/// taken over), and takes over jobs whose host stopped renewing (it died mid-fill): they start over here.
/// On the one-host SQLite catalog nothing is ever taken over and only operator cancels are seen.
/// </summary>
internal sealed partial class JobLeaseWorker : PeriodicWorker
{
    private const int ClaimBatch = 100;

    private readonly ICacheCatalog _catalog;
    private readonly DownloadScheduler _scheduler;
    private readonly TimeProvider _time;
    private readonly ILogger<JobLeaseWorker> _logger;

    public JobLeaseWorker(ICacheCatalog catalog, DownloadScheduler scheduler, TimeProvider time, IOptions<ServerOptions> options, ILogger<JobLeaseWorker> logger)
        : base(options.Value.JobLease / 3, time)
    {
        _catalog = catalog;
        _scheduler = scheduler;
        _time = time;
        _logger = logger;
    }

    protected override Task TickAsync(CancellationToken stoppingToken)
    {
        Beat();
        return Task.CompletedTask;
    }

    /// <summary>One heartbeat; a catalog outage is logged and the next beat tries again.</summary>
    internal void Beat()
    {
        try
        {
            var now = _time.GetUtcNow();
            _scheduler.StopLostJobs(_catalog.RenewLeases(now));
            var taken = _catalog.ClaimExpiredJobs(now, ClaimBatch);
            if (taken.Count > 0)
            {
                LogTakenOver(_logger, taken.Count, _scheduler.AdoptExpired(taken));
            }
        }
        catch (Exception e) when (e is CatalogUnavailableException or System.Data.Common.DbException)
        {
            // Leases run out while the catalog is away; whoever reaches it first afterwards takes the jobs over.
            LogCatalogUnavailable(_logger, e.Message);
        }
    }

    [LoggerMessage(EventId = 1110, Level = LogLevel.Information, Message = "Took over {Count} download job(s) whose host stopped renewing its lease; {Queued} queued here")]
    private static partial void LogTakenOver(ILogger logger, int count, int queued);

    [LoggerMessage(EventId = 1111, Level = LogLevel.Warning, Message = "Job heartbeat skipped: the catalog is unavailable ({Reason})")]
    private static partial void LogCatalogUnavailable(ILogger logger, string reason);
}
