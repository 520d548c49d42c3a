using Microsoft.Extensions.Options;
using WithCache.Server.Audit;
using WithCache.Server.Blobs;
using WithCache.Server.Catalog;
using WithCache.Server.Hosting;
using WithCache.Server.Observability;
using WithCache.Server.ReadPath;

namespace WithCache.Server.Downloads;

/// <summary>
/// <c>--workers</c> loops draining the download queue. Each fill goes to a temp file, is committed to the blob
/// store by an atomic rename, and only then becomes visible through its catalog row. With blobs on S3 a fill streams
/// into a multipart upload instead, is published under its content address, and only then gets its catalog row.
/// </summary>
internal sealed partial class DownloadWorker : BackgroundService
{
    private static readonly TimeSpan ProgressSaveInterval = TimeSpan.FromSeconds(2);

    private readonly DownloadScheduler _scheduler;
    private readonly OriginFetcher _fetcher;
    private readonly BlobStore _blobs;
    private readonly S3ObjectStore? _objectStore;
    private readonly ICacheCatalog _database;
    private readonly CapacityLedger _capacity;
    private readonly RequestCounters _counters;
    private readonly AuditLog _audit;
    private readonly ServerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ServerOptions _options;
    private readonly ILogger<DownloadWorker> _logger;

    public DownloadWorker(
        DownloadScheduler scheduler,
        OriginFetcher fetcher,
        BlobBackend blobs,
        ICacheCatalog database,
        CapacityLedger capacity,
        RequestCounters counters,
        AuditLog audit,
        ServerMetrics metrics,
        TimeProvider time,
        IOptions<ServerOptions> options,
        ILogger<DownloadWorker> logger)
    {
        _scheduler = scheduler;
        _fetcher = fetcher;
        _blobs = blobs.Local;
        _objectStore = blobs.ObjectStore;
        _database = database;
        _capacity = capacity;
        _counters = counters;
        _audit = audit;
        _metrics = metrics;
        _time = time;
        _options = options.Value;
        _logger = logger;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, _options.Workers).Select(_ => Task.Run(() => DrainAsync(stoppingToken), stoppingToken)));

    private async Task DrainAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var request in _scheduler.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await RunAsync(request, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A fault outside the fill's expected outcomes (the catalog unavailable, say) must not take the
                    // worker, or with it the host, down: the job stays in the catalog and start-up queues it again.
                    LogJobFault(_logger, request.JobId, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    internal async Task RunAsync(DownloadRequest request, CancellationToken stoppingToken)
    {
        // Registered as running here before the catalog says "running": a cancel that reads "running" then always
        // finds the fill on its host and stops it, instead of ending the row while the fill is still starting.
        using var cancellation = _scheduler.BeginRun(request.JobId, stoppingToken);
        if (!_database.MarkJobRunning(request.JobId, _time.GetUtcNow()))
        {
            _scheduler.EndRun(request, completed: false, permanentFailure: false);
            return;
        }

        var started = _time.GetTimestamp();
        if (_objectStore is { } store)
        {
            await RunIntoStoreAsync(request, store, started, stoppingToken, cancellation.Token);
            return;
        }

        var resumable = request.TempFile is { } name ? _blobs.FindTempPath(name) : null;
        var temp = resumable ?? _blobs.CreateTempPath();
        var resumeFrom = resumable is null ? null : request.ResumeFrom;
        var completed = false;
        var checkpointed = false;
        var permanent = false;
        (JobState State, string Reason, DownloadOutcome Outcome)? failure = null;
        try
        {
            LogStarted(_logger, request.JobId, request.Key.Value);
            var result = await FetchAsync(request, temp, resumeFrom, stoppingToken, cancellation.Token);
            if (result.Outcome == DownloadOutcome.Cancelled && stoppingToken.IsCancellationRequested)
            {
                // Shutting down: the job stays "running" in the catalog and start-up queues it again, resuming from
                // the kept temp file when the origin allows ranges.
                if (result.Checkpoint is { } checkpoint)
                {
                    _database.CheckpointJob(request.JobId, Path.GetFileName(temp), checkpoint.Bytes, checkpoint.Total, checkpoint.Validator, _time.GetUtcNow());
                    checkpointed = true;
                }

                LogInterrupted(_logger, request.JobId, result.Checkpoint?.Bytes ?? 0);
            }
            else if (result.Outcome == DownloadOutcome.Completed && result.Sha256Hex is { } hex)
            {
                var digest = ContentDigest.Parse(hex);
                var refusal = await CommitAsync(request, digest, result.Length, newBlob: !_blobs.Exists(digest), () =>
                {
                    _blobs.Commit(temp, digest);
                    return Task.CompletedTask;
                });
                completed = refusal is null;
                if (completed)
                {
                    _metrics.CountFill(DownloadOutcome.Completed, result.Length, _time.GetElapsedTime(started));
                }

                failure = refusal is null ? null : (JobState.Failed, refusal, DownloadOutcome.CacheFull);
            }
            else
            {
                permanent = result.IsPermanentFailure;
                failure = FailureOf(result);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            failure = (JobState.Failed, "disk: " + e.Message, DownloadOutcome.DiskError);
        }
        finally
        {
            // Nothing of a failed fill stays behind before the job is seen to have ended.
            if (!completed)
            {
                _capacity.Release(request.JobId);
                if (!checkpointed)
                {
                    TryDeleteTemp(temp);
                }
            }

            EndRun(request, completed, permanent, failure, started);
        }
    }

    /// <summary>
    /// A fill with blobs on S3: the body streams into a multipart upload (nothing under the data dir), is published
    /// under its content address, and only then is the catalog row written. A failed or cancelled fill aborts its
    /// upload, so nothing is left in the bucket.
    /// </summary>
    private async Task RunIntoStoreAsync(
        DownloadRequest request, S3ObjectStore store, long started, CancellationToken stoppingToken, CancellationToken cancellationToken)
    {
        var completed = false;
        var permanent = false;
        (JobState State, string Reason, DownloadOutcome Outcome)? failure = null;
        var sink = new S3FillSink(store, _logger);
        try
        {
            LogStarted(_logger, request.JobId, request.Key.Value);
            var result = await _fetcher.FetchAsync(request.Origin, sink, length => _capacity.TryReserve(request.JobId, length), ProgressReporter(request), cancellationToken);
            if (result.Outcome == DownloadOutcome.Cancelled && stoppingToken.IsCancellationRequested)
            {
                // Shutting down: no checkpoint is kept in S3 mode. A multipart upload could only be continued by
                // recording its id and part ETags, and the hash state over them; instead the upload is aborted below
                // and the job, still "running" in the catalog, starts again from zero at the next start.
                LogInterrupted(_logger, request.JobId, 0);
            }
            else if (result.Outcome == DownloadOutcome.Completed && sink.Completed is { } uploaded)
            {
                // The upload hashes what it sent, the fetch what it received: two digests that differ mean a restart
                // left bytes of an earlier attempt in the upload, and such an object must never be published.
                if (uploaded.Digest.Hex != result.Sha256Hex || uploaded.Length != result.Length)
                {
                    failure = (JobState.Failed, $"store: the upload holds {uploaded.Length} bytes with sha256 {uploaded.Digest.Hex}, the fetch {result.Length} with {result.Sha256Hex}", DownloadOutcome.StoreUnavailable);
                }
                else
                {
                    // Not cancellable: the client's timeouts bound each call, and stopping halfway would only leave work
                    // for the sweep. A published object without its row (the catalog failed) is an orphan the sweep removes.
                    var exists = await store.ExistsAsync(uploaded.Digest, CancellationToken.None);
                    var refusal = await CommitAsync(request, uploaded.Digest, uploaded.Length, newBlob: !exists, async () =>
                    {
                        await store.PublishAsync(uploaded.TempKey, uploaded.Digest, CancellationToken.None);
                        sink.Published = true;
                    });
                    completed = refusal is null;
                    if (completed)
                    {
                        _metrics.CountFill(DownloadOutcome.Completed, result.Length, _time.GetElapsedTime(started));
                    }

                    failure = refusal is null ? null : (JobState.Failed, refusal, DownloadOutcome.CacheFull);
                }
            }
            else
            {
                permanent = result.IsPermanentFailure;
                failure = FailureOf(result);
            }
        }
        catch (ObjectStoreUnavailableException e)
        {
            failure = (JobState.Failed, "store: " + e.Message, DownloadOutcome.StoreUnavailable);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
        {
            // The operator's cancel arrived while the upload was being completed or published.
            failure = (JobState.Cancelled, "cancelled by the operator", DownloadOutcome.Cancelled);
        }
        finally
        {
            // Aborts the upload, or deletes a completed temp object that was not published, before the job ends.
            await sink.DisposeAsync();
            if (!completed)
            {
                _capacity.Release(request.JobId);
            }

            EndRun(request, completed, permanent, failure, started);
        }
    }

    /// <summary>How a fill that neither completed nor was interrupted by a shutdown ends its job.</summary>
    private static (JobState State, string Reason, DownloadOutcome Outcome) FailureOf(FetchResult result) =>
        result.Outcome == DownloadOutcome.Cancelled
            ? (JobState.Cancelled, "cancelled by the operator", result.Outcome)
            : (JobState.Failed, result.Reason, result.Outcome);

    private void EndRun(DownloadRequest request, bool completed, bool permanent, (JobState State, string Reason, DownloadOutcome Outcome)? failure, long started)
    {
        if (_scheduler.WasLost(request.JobId))
        {
            // Cancelled on another host, or taken over by one: the job row is not this host's to end.
            failure = null;
        }

        if (failure is { } end)
        {
            _database.FinishJob(request.JobId, end.State, end.Reason, permanent, _time.GetUtcNow());
            LogFailed(_logger, request.JobId, request.Key.Value, end.Outcome, end.Reason);
            _metrics.CountFill(end.Outcome, 0, _time.GetElapsedTime(started));
            _audit.Record(AuditLog.System, end.State == JobState.Cancelled ? AuditActions.FillCancelled : AuditActions.FillFailed, request.Key.Value, $"job {request.JobId}: {end.Reason}");
        }

        _scheduler.EndRun(request, completed, permanent);
    }

    private Action<long, long?> ProgressReporter(DownloadRequest request)
    {
        var lastSaved = _time.GetTimestamp();
        return (done, total) =>
        {
            _scheduler.ReportProgress(request.JobId, done, total);
            if (_time.GetElapsedTime(lastSaved) >= ProgressSaveInterval)
            {
                lastSaved = _time.GetTimestamp();
                _database.SaveJobProgress(request.JobId, done, total, _time.GetUtcNow());
            }
        };
    }

    private Task<FetchResult> FetchAsync(
        DownloadRequest request, string temp, FetchCheckpoint? resumeFrom, CancellationToken stoppingToken, CancellationToken cancellationToken) =>
        _fetcher.FetchAsync(
            request.Origin,
            temp,
            resumeFrom,
            () => stoppingToken.IsCancellationRequested,
            length => _capacity.TryReserve(request.JobId, length),
            ProgressReporter(request),
            cancellationToken);

    /// <summary>
    /// Puts a finished fill's blob in place (<paramref name="placeBlob"/>: a rename into the data dir, or a publish in
    /// the store) and only then records the artifact; null on success, else why the cap refused it.
    /// <paramref name="newBlob"/> is false when identical bytes are stored already.
    /// </summary>
    private async Task<string?> CommitAsync(DownloadRequest request, ContentDigest digest, long size, bool newBlob, Func<Task> placeBlob)
    {
        if (_capacity.TryCommit(request.JobId, size, newBlob) is { } refusal)
        {
            return refusal;
        }

        try
        {
            await placeBlob();
            _counters.Flush(_database);
            _database.CompleteFill(request.JobId, request.Key.Value, request.Origin.Text, digest, size, _time.GetUtcNow());
        }
        catch
        {
            if (newBlob)
            {
                _capacity.Free(size);
            }

            throw;
        }

        LogCompleted(_logger, request.JobId, request.Key.Value, size, digest.Hex);
        _audit.Record(AuditLog.System, AuditActions.FillCompleted, request.Key.Value, $"job {request.JobId}: {size} bytes, sha256 {digest.Hex}");
        return null;
    }

    private void TryDeleteTemp(string temp)
    {
        try
        {
            _blobs.DeleteTemp(temp);
        }
        catch (IOException e)
        {
            LogTempLeft(_logger, temp, e.Message);
        }
    }

    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "Download job {JobId} started for {CacheKey}")]
    private static partial void LogStarted(ILogger logger, long jobId, string cacheKey);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Download job {JobId} completed {CacheKey}: {Bytes} bytes, sha256 {Digest}")]
    private static partial void LogCompleted(ILogger logger, long jobId, string cacheKey, long bytes, string digest);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "Download job {JobId} for {CacheKey} ended {Outcome}: {Reason}")]
    private static partial void LogFailed(ILogger logger, long jobId, string cacheKey, DownloadOutcome outcome, string reason);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Information, Message = "Download job {JobId} interrupted by shutdown after {Bytes} kept bytes; it resumes at the next start")]
    private static partial void LogInterrupted(ILogger logger, long jobId, long bytes);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Error, Message = "Download job {JobId} hit an unexpected fault; it is retried at the next start")]
    private static partial void LogJobFault(ILogger logger, long jobId, Exception exception);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Warning, Message = "Could not remove temp file {Path}: {Reason}; start-up sweeps it")]
    private static partial void LogTempLeft(ILogger logger, string path, string reason);
}
