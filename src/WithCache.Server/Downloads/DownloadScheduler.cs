using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using WithCache.Core;
using WithCache.Server.Catalog;
using WithCache.Server.Hosting;

namespace WithCache.Server.Downloads;

/// <summary>
/// Decides which fills run: one job per key however many misses arrive (later requests join the job in flight),
/// a back-off for keys whose fill failed for good, and one bounded queue drained by the download workers.
/// Job rows live in the catalog so a restart resumes them; live progress and cancellation live here.
/// </summary>
internal sealed partial class DownloadScheduler
{
    public const int QueueCapacity = 10_000;

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromHours(24);

    private readonly Channel<DownloadRequest> _queue = Channel.CreateBounded<DownloadRequest>(
        new BoundedChannelOptions(QueueCapacity) { FullMode = BoundedChannelFullMode.Wait, SingleWriter = false });

    private readonly ConcurrentDictionary<string, long> _activeByKey = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, JobProgress> _progress = new();
    private readonly ConcurrentDictionary<long, CancellationTokenSource> _running = new();
    private readonly ConcurrentDictionary<long, byte> _lost = new();
    private readonly ConcurrentDictionary<string, (int Failures, DateTimeOffset Until)> _backoff = new(StringComparer.Ordinal);
    private readonly ICacheCatalog _database;
    private readonly FetchPolicy _policy;
    private readonly TimeProvider _time;
    private readonly ServerOptions _options;
    private readonly ILogger<DownloadScheduler> _logger;

    public DownloadScheduler(ICacheCatalog database, FetchPolicy policy, TimeProvider time, IOptions<ServerOptions> options, ILogger<DownloadScheduler> logger)
    {
        _database = database;
        _policy = policy;
        _time = time;
        _options = options.Value;
        _logger = logger;
    }

    public ChannelReader<DownloadRequest> Reader => _queue.Reader;

    /// <summary>Fills waiting in the queue (some may have been cancelled meanwhile; a worker skips those).</summary>
    public int QueuedCount => _queue.Reader.Count;

    public int RunningCount => _running.Count;

    public JobProgress? FindProgress(long jobId) => _progress.GetValueOrDefault(jobId);

    public bool IsActive(CacheKey key) => _activeByKey.ContainsKey(key.Value);

    /// <summary>
    /// Queues a fill of <paramref name="key"/> from <paramref name="origin"/>. An operator's request ignores the
    /// back-off of a key that failed for good (it is the "retry"); a miss does not. <paramref name="admit"/>, when
    /// given, is asked only when a new job would be created (joining a fill in progress costs nothing).
    /// </summary>
    public (EnqueueOutcome Outcome, string? Reason) Enqueue(CacheKey key, OriginUrl origin, bool byOperator, Func<bool>? admit = null) =>
        EnqueueAsync(key, origin, byOperator, admit, Timeout.InfiniteTimeSpan, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// <see cref="Enqueue"/> for the miss path: the catalog calls hold no thread while a catalog across the network
    /// answers, and each is cancelled after <paramref name="timeout"/> (a <see cref="CatalogUnavailableException"/>).
    /// SQLite's calls complete synchronously.
    /// </summary>
    public async ValueTask<(EnqueueOutcome Outcome, string? Reason)> EnqueueAsync(
        CacheKey key, OriginUrl origin, bool byOperator, Func<bool>? admit, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_policy.Check(origin) is { } refusal)
        {
            return (EnqueueOutcome.Refused, refusal);
        }

        var now = _time.GetUtcNow();
        if (!byOperator && _backoff.TryGetValue(key.Value, out var backoff) && backoff.Until > now)
        {
            return (EnqueueOutcome.BackedOff, $"failed for good {backoff.Failures} time(s); next try after {backoff.Until:u}");
        }

        // Claim the key first, so that of many concurrent misses exactly one creates the job.
        if (!_activeByKey.TryAdd(key.Value, 0))
        {
            return (EnqueueOutcome.AlreadyActive, null);
        }

        long? jobId;
        try
        {
            if (await _database.FindArtifactAsync(key.Value, timeout, cancellationToken) is not null)
            {
                _activeByKey.TryRemove(key.Value, out _);
                return (EnqueueOutcome.AlreadyCached, null);
            }

            // Another host may have failed this key for good since this host last looked (the catalog is shared).
            if (!byOperator && await _database.FindPermanentFailuresAsync(key.Value, timeout, cancellationToken) is { } failed
                && failed.LastFailure + BackoffFor(failed.Failures) is var until && until > now)
            {
                _backoff[key.Value] = (failed.Failures, until);
                _activeByKey.TryRemove(key.Value, out _);
                return (EnqueueOutcome.BackedOff, $"failed for good {failed.Failures} time(s); next try after {until:u}");
            }

            if (admit is not null && !admit())
            {
                _activeByKey.TryRemove(key.Value, out _);
                return (EnqueueOutcome.Throttled, "too many new downloads asked for from this address; try again in a minute");
            }

            jobId = await _database.CreateJobAsync(key.Value, origin.Text, now, timeout, cancellationToken);
            if (jobId is null)
            {
                // Another host's job for the key, or its fill committed since the lookup above.
                _activeByKey.TryRemove(key.Value, out _);
                return (await _database.FindArtifactAsync(key.Value, timeout, cancellationToken) is null ? EnqueueOutcome.AlreadyActive : EnqueueOutcome.AlreadyCached, null);
            }
        }
        catch
        {
            // The catalog is away: let the key go, or no later miss could ever queue it on this host.
            _activeByKey.TryRemove(key.Value, out _);
            throw;
        }

        var id = jobId.Value;
        _activeByKey[key.Value] = id;
        if (!_queue.Writer.TryWrite(new DownloadRequest(id, key, origin)))
        {
            try
            {
                _database.FinishJob(id, JobState.Failed, "download queue full; the next miss queues it again", permanent: false, now);
            }
            finally
            {
                // Even when the catalog is away: a key left claimed here could never be queued again on this host.
                _activeByKey.TryRemove(key.Value, out _);
            }

            return (EnqueueOutcome.QueueFull, "download queue full");
        }

        LogQueued(_logger, id, key.Value, byOperator);
        return (EnqueueOutcome.Queued, null);
    }

    /// <summary>After a restart: jobs that were queued or running are queued again, and back-offs are restored.</summary>
    public int RestoreAfterRestart()
    {
        var now = _time.GetUtcNow();
        foreach (var (key, failures, last) in _database.ListPermanentFailures())
        {
            _backoff[key] = (failures, last + BackoffFor(failures));
        }

        return Adopt(_database.RequeueInterruptedJobs(now), now);
    }

    /// <summary>
    /// Queues jobs this host has just taken over from the shared catalog: another host's lease on them ran out
    /// (it died or lost the database). They start over here. Returns how many were queued.
    /// </summary>
    public int AdoptExpired(IReadOnlyList<JobRecord> jobs) => Adopt(jobs, _time.GetUtcNow());

    /// <summary>
    /// Called with the ids the catalog still leases to this host: a job running here that is not among them was
    /// cancelled on another host or taken over after this host missed its heartbeats, so its fill stops here
    /// and ends without touching the job row (it is no longer this host's to finish).
    /// </summary>
    public int StopLostJobs(IReadOnlySet<long> held)
    {
        var stopped = 0;
        foreach (var (jobId, cancellation) in _running)
        {
            if (!held.Contains(jobId) && _lost.TryAdd(jobId, 0))
            {
                LogLost(_logger, jobId);
                cancellation.Cancel();
                stopped++;
            }
        }

        return stopped;
    }

    /// <summary>True when the job's lease was lost while it ran here (see <see cref="StopLostJobs"/>).</summary>
    public bool WasLost(long jobId) => _lost.ContainsKey(jobId);

    private int Adopt(IReadOnlyList<JobRecord> jobs, DateTimeOffset now)
    {
        var restored = 0;
        foreach (var job in jobs)
        {
            if (!CacheKey.TryCreate(job.Origin, _options.KeepQuery, out var key, out _)
                || !OriginUrl.TryParse(job.Origin, out var origin, out _)
                || key.Value != job.Key)
            {
                // Keys depend on --keep-query: a job made under the other setting is not resumed.
                _database.FinishJob(job.Id, JobState.Failed, "not resumed: the cache key rules changed (--keep-query)", permanent: false, now);
                continue;
            }

            _activeByKey[job.Key] = job.Id;
            var checkpoint = job is { TempFile: not null, Validator: { } validator } ? new FetchCheckpoint(job.BytesDone, job.BytesTotal, validator) : null;
            if (_queue.Writer.TryWrite(new DownloadRequest(job.Id, key, origin, checkpoint is null ? null : job.TempFile, checkpoint)))
            {
                restored++;
            }
            else
            {
                _activeByKey.TryRemove(job.Key, out _);
                _database.FinishJob(job.Id, JobState.Failed, "download queue full at start-up", permanent: false, now);
            }
        }

        return restored;
    }

    /// <summary>Cancels a queued or running job; false when it is neither.</summary>
    public bool Cancel(long jobId)
    {
        // A fill already told to stop is past cancelling: the catalog says how it ended (or is about to).
        if (_running.TryGetValue(jobId, out var cancellation) && !cancellation.IsCancellationRequested)
        {
            cancellation.Cancel();
            return true;
        }

        var job = _database.FindJob(jobId);
        if (job is not { State: JobState.Queued or JobState.Running })
        {
            return false;
        }

        // Still in a queue: mark it; the worker that dequeues it sees it is no longer queued and skips it. Running on
        // another host of a shared catalog: that host's next heartbeat no longer holds it and stops the fill.
        _database.FinishJob(jobId, JobState.Cancelled, "cancelled by the operator", permanent: false, _time.GetUtcNow());
        _activeByKey.TryRemove(new KeyValuePair<string, long>(job.Key, jobId));
        return true;
    }

    public CancellationTokenSource BeginRun(long jobId, CancellationToken stopping)
    {
        var cancellation = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        _running[jobId] = cancellation;
        _progress[jobId] = new JobProgress(0, null, _time.GetUtcNow());
        return cancellation;
    }

    public void ReportProgress(long jobId, long bytesDone, long? bytesTotal)
    {
        if (_progress.TryGetValue(jobId, out var current))
        {
            _progress[jobId] = current with { BytesDone = bytesDone, BytesTotal = bytesTotal };
        }
    }

    /// <summary>Ends a job's run and releases its key; <paramref name="permanentFailure"/> starts or extends the back-off.</summary>
    public void EndRun(DownloadRequest request, bool completed, bool permanentFailure)
    {
        if (_running.TryRemove(request.JobId, out var cancellation))
        {
            cancellation.Dispose();
        }

        _progress.TryRemove(request.JobId, out _);
        _lost.TryRemove(request.JobId, out _);
        if (completed)
        {
            _backoff.TryRemove(request.Key.Value, out _);
        }
        else if (permanentFailure)
        {
            var failures = _backoff.TryGetValue(request.Key.Value, out var previous) ? previous.Failures + 1 : 1;
            _backoff[request.Key.Value] = (failures, _time.GetUtcNow() + BackoffFor(failures));
        }

        _activeByKey.TryRemove(new KeyValuePair<string, long>(request.Key.Value, request.JobId));
    }

    /// <summary>The operator cleared finished jobs: that also clears what the back-off remembered.</summary>
    public void ForgetFailures() => _backoff.Clear();

    private TimeSpan BackoffFor(int failures)
    {
        var factor = Math.Pow(2, Math.Min(failures - 1, 20));
        var backoff = TimeSpan.FromTicks((long)Math.Min(_options.FailureBackoff.Ticks * factor, MaxBackoff.Ticks));
        return backoff;
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Download job {JobId} is no longer this host's (cancelled elsewhere, or taken over after missed heartbeats); stopping its fill here")]
    private static partial void LogLost(ILogger logger, long jobId);

    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Queued download job {JobId} for {CacheKey} (operator: {ByOperator})")]
    private static partial void LogQueued(ILogger logger, long jobId, string cacheKey, bool byOperator);
}
