using WithCache.Server.Hosting;

namespace WithCache.Server.Blobs;

/// <summary>
/// Removes what fills left in the bucket when they could not clean up after themselves (a host killed mid-fill, an
/// abort that failed because the store was away): multipart uploads and <c>tmp/</c> keys older than
/// <see cref="S3BlobOptions.OrphanGrace"/>. Younger ones may be fills in flight on any host. Runs at start-up
/// (<see cref="Hosting.StartupReconciler"/>) and then once per grace period, so a host that runs for months keeps
/// the bucket clean too. Does nothing with blobs in the data dir.
/// </summary>
internal sealed partial class S3LeftoverSweeper : PeriodicWorker
{
    private const int ListPageSize = 1000;

    private readonly BlobBackend _backend;
    private readonly TimeProvider _time;
    private readonly ILogger<S3LeftoverSweeper> _logger;

    public S3LeftoverSweeper(BlobBackend backend, TimeProvider time, ILogger<S3LeftoverSweeper> logger)
        : base(backend.S3.OrphanGrace, time)
    {
        _backend = backend;
        _time = time;
        _logger = logger;
    }

    /// <summary>Aborts the uploads and deletes the temp keys begun before <paramref name="cutoff"/>; returns how many.</summary>
    public static async Task<(int Uploads, int TempKeys)> SweepAsync(S3ObjectStore store, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var uploads = 0;
        await foreach (var upload in store.ListUploadsAsync(cancellationToken))
        {
            if (upload.Initiated < cutoff)
            {
                await store.AbortUploadAsync(upload, cancellationToken);
                uploads++;
            }
        }

        var temps = 0;
        await foreach (var (key, lastModified) in store.ListTempAsync(ListPageSize, cancellationToken))
        {
            if (lastModified < cutoff)
            {
                await store.DeleteTempAsync(key, cancellationToken);
                temps++;
            }
        }

        return (uploads, temps);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        _backend.ObjectStore is null ? Task.CompletedTask : base.ExecuteAsync(stoppingToken);

    protected override async Task TickAsync(CancellationToken stoppingToken)
    {
        // ExecuteAsync starts the loop only with a store.
        if (_backend.ObjectStore is not { } store)
        {
            return;
        }

        try
        {
            var (uploads, temps) = await SweepAsync(store, _time.GetUtcNow() - _backend.S3.OrphanGrace, stoppingToken);
            if (uploads + temps > 0)
            {
                LogSwept(_logger, uploads, temps);
            }
        }
        catch (Exception e) when (e is ObjectStoreUnavailableException or Amazon.S3.AmazonS3Exception)
        {
            // Housekeeping only: the next round tries again.
            LogNotSwept(_logger, e.Message);
        }
    }

    [LoggerMessage(EventId = 1510, Level = LogLevel.Information, Message = "Aborted {Uploads} stale upload(s) and removed {TempKeys} stale temp key(s) in the object store")]
    private static partial void LogSwept(ILogger logger, int uploads, int tempKeys);

    [LoggerMessage(EventId = 1511, Level = LogLevel.Warning, Message = "Stale uploads in the object store not swept this round: {Reason}")]
    private static partial void LogNotSwept(ILogger logger, string reason);
}
