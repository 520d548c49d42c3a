using WithCache.Server.Audit;
using WithCache.Server.Blobs;

namespace WithCache.Server.Catalog;

/// <summary>
/// The catalog: which key maps to which blob, misses, download jobs, operator sessions, the audit log and API tokens.
/// Two implementations with the same semantics: <see cref="CacheDatabase"/> (SQLite in the data dir, the embedded
/// default, one host) and <c>PostgresCatalog</c> (several hosts sharing one database). Every method is
/// synchronous and short; a catalog that cannot be reached throws <see cref="CatalogUnavailableException"/>.
/// </summary>
internal interface ICacheCatalog
{
    /// <summary>"sqlite" or "postgres", for logs and the readiness answer.</summary>
    string Kind { get; }

    /// <summary>The schema version the catalog is at.</summary>
    int UserVersion { get; }

    /// <summary>Throws when the catalog cannot be reached (the readiness probe).</summary>
    void Ping();

    /// <summary><see cref="Ping"/> without holding a thread while a catalog across the network answers.</summary>
    Task PingAsync(CancellationToken cancellationToken);

    // ---- artifacts ----

    /// <summary>The artifact stored under a key (its hit count may lag: the catalog has the current one).</summary>
    ArtifactRecord? FindArtifact(string key);

    /// <summary>
    /// <see cref="FindArtifact"/> for the read path, which runs on the socket's I/O thread: a catalog across the network
    /// waits without holding that thread (and the other connections on it), and cancels its query after
    /// <paramref name="timeout"/> (throwing <see cref="CatalogUnavailableException"/>); SQLite's in-memory or local-file
    /// answer completes synchronously and costs no timer.
    /// </summary>
    ValueTask<ArtifactRecord?> FindArtifactAsync(string key, TimeSpan timeout, CancellationToken cancellationToken);

    IReadOnlyList<ArtifactRecord> ListArtifacts(ListQuery query);

    long CountArtifacts(string? filter = null);

    /// <summary>Bytes used by distinct blobs (two keys with the same bytes share one blob).</summary>
    long StoredBytes();

    IReadOnlyList<(ContentDigest Digest, long Size)> ListDigests();

    /// <summary>Records a finished fill: the artifact row (carrying the key's miss count), the job's end, the miss row gone.</summary>
    void CompleteFill(long jobId, string key, string origin, ContentDigest digest, long size, DateTimeOffset now);

    /// <summary>Deletes an artifact row; returns its digest and whether another row still uses that blob.</summary>
    (ContentDigest Digest, long Size, bool BlobStillUsed)? DeleteArtifact(string key);

    /// <summary>Drops the rows of a blob that is gone from the store; returns how many.</summary>
    int DeleteArtifactsWithDigest(ContentDigest digest);

    void AddHits(IReadOnlyDictionary<string, long> hits, DateTimeOffset now);

    // ---- misses ----

    /// <summary>
    /// Adds counted misses and drops the least recently seen keys beyond <paramref name="cap"/>. A miss of a key that
    /// is cached by now (counted just before its fill committed) is dropped: it must not list a cached artifact.
    /// </summary>
    void RecordMisses(IReadOnlyCollection<MissDelta> deltas, int cap);

    MissRecord? FindMiss(string key);

    IReadOnlyList<MissRecord> ListMisses(ListQuery query);

    long CountMisses(string? filter = null);

    bool DeleteMiss(string key);

    // ---- jobs ----

    /// <summary>
    /// Creates a queued job for a key, leased to this host; null when the key already has a queued or running job or
    /// already has an artifact row (checked after the insert, so a fill that another host committed since the caller
    /// looked the key up is not fetched a second time).
    /// </summary>
    long? CreateJob(string key, string origin, DateTimeOffset now);

    /// <summary><see cref="CreateJob"/> for the miss path: no thread held while the catalog answers, the query cancelled after <paramref name="timeout"/>.</summary>
    ValueTask<long?> CreateJobAsync(string key, string origin, DateTimeOffset now, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Moves a queued job this host holds to running; false when it is no longer queued (or no longer ours).</summary>
    bool MarkJobRunning(long id, DateTimeOffset now);

    void SaveJobProgress(long id, long bytesDone, long? bytesTotal, DateTimeOffset now);

    /// <summary>Records where a running fill stopped at shutdown; the job stays running, so start-up resumes it.</summary>
    void CheckpointJob(long id, string tempFile, long bytesDone, long? bytesTotal, string validator, DateTimeOffset now);

    /// <summary>Temp files that unfinished jobs will resume from: start-up must not sweep these.</summary>
    IReadOnlySet<string> ListCheckpointFiles();

    void FinishJob(long id, JobState state, string? reason, bool permanent, DateTimeOffset now);

    JobRecord? FindJob(long id);

    /// <summary>Jobs by id (creation order) when sorted by "id"; otherwise running, then queued, then the rest, each newest first.</summary>
    IReadOnlyList<JobRecord> ListJobs(ListQuery query);

    /// <summary>
    /// Jobs to run after a restart: this host's running ones (the process died under them) go back to queued first.
    /// On a shared catalog only the jobs this host held are taken; other hosts' jobs are theirs until their lease ends.
    /// </summary>
    IReadOnlyList<JobRecord> RequeueInterruptedJobs(DateTimeOffset now);

    /// <summary>
    /// Extends this host's lease on its queued and running jobs; returns the ids it still holds. A job this host runs
    /// that is missing from the answer was cancelled elsewhere or taken over: the host must stop filling it.
    /// </summary>
    IReadOnlySet<long> RenewLeases(DateTimeOffset now);

    /// <summary>
    /// Takes over queued or running jobs whose lease has run out (their host died or lost the catalog): they become
    /// queued, leased to this host, starting over. Always empty on a catalog only one host uses.
    /// </summary>
    IReadOnlyList<JobRecord> ClaimExpiredJobs(DateTimeOffset now, int limit);

    /// <summary>Per key, how many fills failed for good since its last success, and when the last one ended.</summary>
    IReadOnlyList<(string Key, int Failures, DateTimeOffset LastFailure)> ListPermanentFailures();

    /// <summary>
    /// For one key: how many fills failed for good since its last success, and when the last one ended; null when none.
    /// A miss asks before it queues a fill, so a key that failed on another host backs off here too.
    /// </summary>
    (int Failures, DateTimeOffset LastFailure)? FindPermanentFailures(string key);

    /// <summary><see cref="FindPermanentFailures"/> for the miss path (see <see cref="CreateJobAsync"/>).</summary>
    ValueTask<(int Failures, DateTimeOffset LastFailure)?> FindPermanentFailuresAsync(string key, TimeSpan timeout, CancellationToken cancellationToken);

    int ClearFinishedJobs();

    // ---- operator sessions ----

    void CreateSession(string id, DateTimeOffset now, DateTimeOffset expires);

    bool IsSessionActive(string id, DateTimeOffset now);

    void RevokeSession(string id);

    // ---- audit events ----

    /// <summary>Appends an event and drops the oldest beyond <paramref name="cap"/> rows.</summary>
    void RecordEvent(DateTimeOffset at, string actor, string action, string subject, string detail, int cap);

    /// <summary>Events newest first; the filter matches actor, action or subject.</summary>
    IReadOnlyList<AuditEvent> ListEvents(ListQuery query);

    long CountEvents(string? filter = null);

    // ---- API tokens ----

    /// <summary>Stores a new token's hash; null when an active token already has that name.</summary>
    long? CreateApiToken(string name, string hash, DateTimeOffset now);

    /// <summary>Every token, newest first (revoked ones included).</summary>
    IReadOnlyList<ApiTokenRecord> ListApiTokens();

    /// <summary>The tokens that still open the API.</summary>
    IReadOnlyList<ApiTokenRecord> ListActiveApiTokens();

    /// <summary>Revokes an active token; returns its name, or null when there is no such active token.</summary>
    string? RevokeApiToken(long id);

    void TouchApiToken(long id, DateTimeOffset now);
}
