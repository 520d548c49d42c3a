using WithCache.Server.Blobs;
using WithCache.Server.Catalog;
using WithCache.Server.Downloads;

namespace WithCache.Server.Hosting;

/// <summary>
/// Runs before the server listens: removes temp files (no fill is running yet), makes catalog and disk agree
/// (a row whose blob is gone is dropped; a blob no row names, left by a crash between rename and commit, is
/// deleted), sets the capacity ledger, and queues again the jobs a previous run did not finish.
/// </summary>
internal sealed partial class StartupReconciler : IHostedService
{
    private readonly BlobStore _blobs;
    private readonly ICacheCatalog _database;
    private readonly CapacityLedger _capacity;
    private readonly DownloadScheduler _scheduler;
    private readonly ILogger<StartupReconciler> _logger;

    public StartupReconciler(BlobStore blobs, ICacheCatalog database, CapacityLedger capacity, DownloadScheduler scheduler, ILogger<StartupReconciler> logger)
    {
        _blobs = blobs;
        _database = database;
        _capacity = capacity;
        _scheduler = scheduler;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var swept = _blobs.SweepTemp(_database.ListCheckpointFiles());
        var known = _database.ListDigests().Select(d => d.Digest).ToHashSet();
        var onDisk = new HashSet<ContentDigest>();
        var orphans = 0;
        foreach (var (digest, _) in _blobs.EnumerateBlobs())
        {
            if (known.Contains(digest))
            {
                onDisk.Add(digest);
            }
            else
            {
                _blobs.Delete(digest);
                orphans++;
            }
        }

        var dropped = 0;
        foreach (var digest in known.Where(d => !onDisk.Contains(d)))
        {
            dropped += _database.DeleteArtifactsWithDigest(digest);
        }

        _capacity.Initialize(_database.StoredBytes());
        var resumed = _scheduler.RestoreAfterRestart();
        LogReconciled(_logger, swept, orphans, dropped, resumed);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1500, Level = LogLevel.Information, Message = "Start-up: removed {TempFiles} temp file(s) and {Orphans} orphan blob(s), dropped {Dropped} catalog row(s) without a blob, resumed {Jobs} job(s)")]
    private static partial void LogReconciled(ILogger logger, int tempFiles, int orphans, int dropped, int jobs);
}
