using Microsoft.Extensions.Options;
using WithCache.Server.Blobs;
using WithCache.Server.Catalog;
using WithCache.Server.Downloads;

namespace WithCache.Server.Hosting;

/// <summary>
/// Runs before the server listens: removes temp files (no fill is running yet), makes catalog and disk agree
/// (a row whose blob is gone is dropped; a blob no row names, left by a crash between rename and commit, is
/// deleted), sets the capacity ledger, and queues again the jobs a previous run did not finish. With blobs on S3 the
/// data dir's blob folder is left alone and the bucket is reconciled instead, sparing whatever is younger than
/// <see cref="S3BlobOptions.OrphanGrace"/>: other hosts may be filling into the same bucket right now.
/// </summary>
internal sealed partial class StartupReconciler : IHostedService
{
    private const int ListPageSize = 1000;

    private readonly BlobStore _blobs;
    private readonly BlobBackend _backend;
    private readonly ICacheCatalog _database;
    private readonly CapacityLedger _capacity;
    private readonly DownloadScheduler _scheduler;
    private readonly TimeProvider _time;
    private readonly ILogger<StartupReconciler> _logger;

    public StartupReconciler(
        BlobBackend backend, ICacheCatalog database, CapacityLedger capacity, DownloadScheduler scheduler, TimeProvider time, ILogger<StartupReconciler> logger)
    {
        _blobs = backend.Local;
        _backend = backend;
        _database = database;
        _capacity = capacity;
        _scheduler = scheduler;
        _time = time;
        _logger = logger;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_backend.ObjectStore is { } store)
        {
            // Fills on S3 never write the local tmp/: anything there is left from the data dir's days (a checkpoint
            // of a fill that now starts over in the store, or a crash's leftover).
            _blobs.SweepTemp(new HashSet<string>(StringComparer.Ordinal));
            await ReconcileStoreAsync(store, cancellationToken);
            _capacity.Initialize(_database.StoredBytes());
            LogResumed(_logger, _scheduler.RestoreAfterRestart());
            return;
        }

        var (swept, orphans, dropped) = ReconcileFolder();
        _capacity.Initialize(_database.StoredBytes());
        var resumed = _scheduler.RestoreAfterRestart();
        LogReconciled(_logger, swept, orphans, dropped, resumed);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private (int Swept, int Orphans, int Dropped) ReconcileFolder()
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

        return (swept, orphans, dropped);
    }

    /// <summary>
    /// Checks the bucket, then: aborts multipart uploads and deletes temp keys older than the grace period (younger
    /// ones are fills in flight, on this host's previous run or another host), deletes published objects no row names
    /// once they are older than the grace period (younger ones may be between publish and catalog commit on another
    /// host), and drops rows whose object is missing. A bucket that does not exist stops the start; a store that
    /// cannot be reached only skips the sweep (hits answer 503 until it is back).
    /// </summary>
    private async Task ReconcileStoreAsync(S3ObjectStore store, CancellationToken cancellationToken)
    {
        bool exists;
        using (var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            // A store that accepts connections but never answers must not hold the start for the client's retries.
            bounded.CancelAfter(_backend.S3.ReadTimeout);
            try
            {
                exists = await store.BucketExistsAsync(bounded.Token);
            }
            catch (Exception e) when (e is ObjectStoreUnavailableException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                LogStoreUnreachable(_logger, _backend.Location?.ToString() ?? "", e.Message);
                return;
            }
        }

        if (!exists)
        {
            // Not created here: who may create buckets, and with which policy and lifecycle rules, is the operator's call.
            throw new InvalidOperationException(
                $"--blobs {_backend.Location}: bucket '{store.Bucket}' does not exist at the S3 endpoint; create it first (for example: aws s3 mb s3://{store.Bucket})");
        }

        try
        {
            var cutoff = _time.GetUtcNow() - _backend.S3.OrphanGrace;
            var (uploads, temps) = await S3LeftoverSweeper.SweepAsync(store, cutoff, cancellationToken);

            // The catalog is read before the bucket is listed: a row committed before this read names an object
            // published before it, so the listing below has it unless it is really gone.
            var known = _database.ListDigests().Select(d => d.Digest).ToHashSet();
            var inStore = new HashSet<ContentDigest>();
            var oldOrphans = new List<ContentDigest>();
            await foreach (var stored in store.ListAsync(ListPageSize, cancellationToken))
            {
                inStore.Add(stored.Digest);
                if (!known.Contains(stored.Digest) && stored.LastModified < cutoff)
                {
                    oldOrphans.Add(stored.Digest);
                }
            }

            // Read again, so that an old object another host has just filled again (and committed a row for) is kept.
            var knownNow = _database.ListDigests().Select(d => d.Digest).ToHashSet();
            var orphans = 0;
            foreach (var digest in oldOrphans.Where(d => !knownNow.Contains(d)))
            {
                await store.DeleteAsync(digest, cancellationToken);
                orphans++;
            }

            var dropped = 0;
            foreach (var digest in known.Where(d => !inStore.Contains(d)))
            {
                dropped += _database.DeleteArtifactsWithDigest(digest);
            }

            LogStoreReconciled(_logger, _backend.Location?.ToString() ?? "", uploads, temps, orphans, dropped);
        }
        catch (ObjectStoreUnavailableException e)
        {
            LogStoreUnreachable(_logger, _backend.Location?.ToString() ?? "", e.Message);
        }
        catch (Amazon.S3.AmazonS3Exception e)
        {
            // A store that refuses a listing or a delete (a key without that permission, a store without the call)
            // still serves: the sweep is housekeeping, so the host starts and says why it did not sweep.
            LogStoreUnreachable(_logger, _backend.Location?.ToString() ?? "", $"{(int)e.StatusCode} {e.ErrorCode}: {e.Message}");
        }
    }

    [LoggerMessage(EventId = 1500, Level = LogLevel.Information, Message = "Start-up: removed {TempFiles} temp file(s) and {Orphans} orphan blob(s), dropped {Dropped} catalog row(s) without a blob, resumed {Jobs} job(s)")]
    private static partial void LogReconciled(ILogger logger, int tempFiles, int orphans, int dropped, int jobs);

    [LoggerMessage(EventId = 1501, Level = LogLevel.Information, Message = "Start-up: resumed {Jobs} job(s)")]
    private static partial void LogResumed(ILogger logger, int jobs);

    [LoggerMessage(EventId = 1502, Level = LogLevel.Information, Message = "Start-up on {Store}: aborted {Uploads} stale upload(s), removed {TempKeys} stale temp key(s) and {Orphans} orphan object(s), dropped {Dropped} catalog row(s) without an object")]
    private static partial void LogStoreReconciled(ILogger logger, string store, int uploads, int tempKeys, int orphans, int dropped);

    [LoggerMessage(EventId = 1503, Level = LogLevel.Warning, Message = "Start-up: the object store {Store} could not be reconciled ({Reason}); hits answer 503 while it cannot be reached")]
    private static partial void LogStoreUnreachable(ILogger logger, string store, string reason);
}
