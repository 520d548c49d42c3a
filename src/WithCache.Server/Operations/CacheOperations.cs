using Microsoft.Extensions.Options;
using WithCache.Core;
using WithCache.Server.Audit;
using WithCache.Server.Blobs;
using WithCache.Server.Catalog;
using WithCache.Server.Downloads;
using WithCache.Server.Hosting;
using WithCache.Server.ReadPath;

namespace WithCache.Server.Operations;

/// <summary>
/// Everything the operator can see and do, as one service the UI (and any JSON API) is a thin layer over:
/// misses, download jobs with live progress, cached artifacts, and adding an artifact by URL.
/// </summary>
internal sealed partial class CacheOperations
{
    private readonly ICacheCatalog _database;
    private readonly BlobBackend _blobs;
    private readonly CapacityLedger _capacity;
    private readonly DownloadScheduler _scheduler;
    private readonly RequestCounters _counters;
    private readonly AuditLog _audit;
    private readonly ServerOptions _options;
    private readonly ILogger<CacheOperations> _logger;

    public CacheOperations(
        ICacheCatalog database,
        BlobBackend blobs,
        CapacityLedger capacity,
        DownloadScheduler scheduler,
        RequestCounters counters,
        AuditLog audit,
        IOptions<ServerOptions> options,
        ILogger<CacheOperations> logger)
    {
        _database = database;
        _blobs = blobs;
        _capacity = capacity;
        _scheduler = scheduler;
        _counters = counters;
        _audit = audit;
        _options = options.Value;
        _logger = logger;
    }

    public bool Curate => _options.Curate;

    public (long Stored, long Reserved, long? Max) Capacity => (_capacity.StoredBytes, _capacity.ReservedBytes, _capacity.MaxBytes);

    public IReadOnlyList<MissRecord> ListMisses(ListQuery query)
    {
        _counters.Flush(_database, _options.MaxMisses);
        return _database.ListMisses(query);
    }

    public long CountMisses(string? filter = null) => _database.CountMisses(filter);

    /// <summary>The operator approves a miss: queue its fill (also past a failure back-off).</summary>
    public OperationResult DownloadMiss(string key)
    {
        _counters.Flush(_database, _options.MaxMisses);
        if (_database.FindMiss(key) is not { } miss)
        {
            return Audited(AuditActions.MissApproved, key, OperationResult.NotFound("no such miss"));
        }

        return Audited(AuditActions.MissApproved, key, Enqueue(miss.Origin));
    }

    public OperationResult DismissMiss(string key) =>
        Audited(AuditActions.MissDismissed, key, _database.DeleteMiss(key) ? OperationResult.Ok("dismissed") : OperationResult.NotFound("no such miss"));

    public IReadOnlyList<JobView> ListJobs(ListQuery query) =>
        [.. _database.ListJobs(query).Select(job => new JobView(job, _scheduler.FindProgress(job.Id)))];

    public JobView? FindJob(long jobId) =>
        _database.FindJob(jobId) is { } job ? new JobView(job, _scheduler.FindProgress(job.Id)) : null;

    public OperationResult CancelJob(long jobId) =>
        Audited(AuditActions.JobCancelled, $"job {jobId}", _scheduler.Cancel(jobId) ? OperationResult.Ok("cancelling") : OperationResult.NotFound("no queued or running job with that id"));

    public OperationResult ClearFinishedJobs()
    {
        var removed = _database.ClearFinishedJobs();
        _scheduler.ForgetFailures();
        return Audited(AuditActions.JobsCleared, "finished jobs", OperationResult.Ok($"cleared {removed} finished job(s)"));
    }

    public IReadOnlyList<AuditEvent> ListEvents(ListQuery query) => _database.ListEvents(query);

    public long CountEvents(string? filter = null) => _database.CountEvents(filter);

    public IReadOnlyList<ArtifactRecord> ListArtifacts(ListQuery query)
    {
        _counters.Flush(_database, _options.MaxMisses);
        return _database.ListArtifacts(query);
    }

    public long CountArtifacts(string? filter = null) => _database.CountArtifacts(filter);

    /// <summary>Deletes an artifact; its blob goes too when no other key shares those bytes.</summary>
    public OperationResult DeleteArtifact(string key)
    {
        if (_database.DeleteArtifact(key) is not { } deleted)
        {
            return Audited(AuditActions.ArtifactDeleted, key, OperationResult.NotFound("no such artifact"));
        }

        if (!deleted.BlobStillUsed)
        {
            DeleteBlob(deleted.Digest);
            _capacity.Free(deleted.Size);
        }

        LogDeleted(_logger, key, deleted.Digest.Hex, deleted.BlobStillUsed);
        return Audited(AuditActions.ArtifactDeleted, key, OperationResult.Ok("deleted"));
    }

    private void DeleteBlob(ContentDigest digest)
    {
        if (_blobs.ObjectStore is null)
        {
            _blobs.Local.Delete(digest);
            return;
        }

        // The operator's actions are synchronous and run off the socket's I/O thread (ServerApp), so waiting on the
        // store here blocks a pool thread for one DELETE, for at most the read timeout.
        try
        {
            using var timeout = new CancellationTokenSource(_blobs.S3.ReadTimeout);
            _blobs.DeleteAsync(digest, timeout.Token).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is ObjectStoreUnavailableException or OperationCanceledException)
        {
            // The row is gone already, so no hit names the object; a start-up after the grace period removes it.
            LogObjectLeft(_logger, digest.Hex, e.Message);
        }
    }

    /// <summary>Pre-seeds an artifact by URL, with the same rules as any fill.</summary>
    public OperationResult AddFromUri(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return OperationResult.Invalid("enter a URL");
        }

        var result = Enqueue(url.Trim());

        // A URL that does not parse is recorded by its refusal only: its text may be anything, a secret included.
        return Audited(AuditActions.UrlAdded, FindKey(url) ?? "(not a URL)", result);
    }

    /// <summary>The cache key a URL is stored under; null when it is not an http(s) URL the cache takes.</summary>
    public string? FindKey(string? url) =>
        url is not null && OriginUrl.TryParse(url.Trim(), out var origin, out _) ? origin.ToKey(_options.KeepQuery).Value : null;

    private OperationResult Audited(string action, string subject, OperationResult result)
    {
        _audit.Record(action, subject, result.Message);
        return result;
    }

    private OperationResult Enqueue(string originText)
    {
        if (!OriginUrl.TryParse(originText, out var origin, out var error))
        {
            return OperationResult.Invalid(error.Reason);
        }

        var (outcome, reason) = _scheduler.Enqueue(origin.ToKey(_options.KeepQuery), origin, byOperator: true);
        return outcome switch
        {
            EnqueueOutcome.Queued => OperationResult.Ok("download queued"),
            EnqueueOutcome.AlreadyActive => OperationResult.Ok("already downloading"),
            EnqueueOutcome.AlreadyCached => OperationResult.Ok("already cached"),
            EnqueueOutcome.Refused => OperationResult.Invalid("refused: " + reason),
            _ => OperationResult.Invalid(reason ?? "not queued"),
        };
    }

    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning, Message = "Could not delete object {Digest} from the store: {Reason}; a later start-up removes it")]
    private static partial void LogObjectLeft(ILogger logger, string digest, string reason);

    [LoggerMessage(EventId = 1400, Level = LogLevel.Information, Message = "Operator deleted {CacheKey} (blob {Digest}, still used by another key: {StillUsed})")]
    private static partial void LogDeleted(ILogger logger, string cacheKey, string digest, bool stillUsed);
}
