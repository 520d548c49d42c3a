using System.Globalization;
using Npgsql;

namespace WithCache.Server.Catalog;

/// <summary>
/// Download jobs and their leases.
/// <para>
/// Which host runs a queued or running job is written on its row: <c>lease_owner</c> (a host id) and
/// <c>lease_until</c> (Unix ms). A host renews its leases every third of <see cref="Hosting.ServerOptions.JobLease"/>;
/// a host that dies or loses the catalog stops renewing, and once the lease has run out any other host takes the job
/// over with <see cref="ClaimExpiredJobs"/>, whose <c>FOR UPDATE SKIP LOCKED</c> lets several hosts claim at once
/// without waiting on each other or taking the same row. The alternative, a session advisory lock per job held on a
/// dedicated connection, would detect a dead host sooner but ties one connection per running fill up for minutes,
/// loses every lock silently when a pooled connection drops, and makes the state invisible to a plain SELECT; a lease
/// is just data, survives connection churn, and costs one short UPDATE per host per renewal period.
/// </para>
/// <para>
/// Only the owner may move a job to running or write its progress (a host that lost its lease cannot overwrite the
/// new owner's row). Finishing works from any host: an operator's cancel on host B ends a job running on host A, and
/// A sees it gone from its next <see cref="RenewLeases"/>.
/// </para>
/// </summary>
internal sealed partial class PostgresCatalog
{
    private const string JobColumns =
        "id, key, origin, state, bytes_done, bytes_total, reason, permanent, created_at, updated_at, temp_file, validator";

    private const string SelectJobs = "SELECT " + JobColumns + " FROM jobs";

    /// <summary>
    /// Creates a queued job for a key, leased to this host; null when the key already has a queued or running job or
    /// is cached by now. The second check runs after the insert, in the same transaction but as its own statement (so
    /// with a fresh snapshot under READ COMMITTED): a fill that another host committed between the caller's lookup and
    /// this insert ended its job in the transaction that wrote the artifact row, so once the insert no longer conflicts
    /// with that job the artifact row is visible here. Checking in the insert's own WHERE would use the snapshot from
    /// before the insert waited on the other host, and fetch the artifact twice.
    /// </summary>
    public long? CreateJob(string key, string origin, DateTimeOffset now) =>
        CreateJobAsync(key, origin, now, Timeout.InfiniteTimeSpan, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public ValueTask<long?> CreateJobAsync(string key, string origin, DateTimeOffset now, TimeSpan timeout, CancellationToken cancellationToken) =>
        RunBoundedAsync(async (connection, token) =>
        {
            await using var transaction = await connection.BeginTransactionAsync(token).ConfigureAwait(false);
            long? created;
            await using (var insert = Command(connection, """
                INSERT INTO jobs(key, origin, state, created_at, updated_at, lease_owner, lease_until)
                VALUES(@key, @origin, 'queued', @now, @now, @host, @until)
                ON CONFLICT DO NOTHING RETURNING id
                """, Text("key", key), Text("origin", origin), Int8("now", now.ToUnixTimeMilliseconds()), Text("host", _hostId), Int8("until", LeaseUntil(now))))
            {
                created = await insert.ExecuteScalarAsync(token).ConfigureAwait(false) as long?;
            }

            if (created is { } id)
            {
                await using var cached = Command(connection, "SELECT EXISTS(SELECT 1 FROM artifacts WHERE key = @key)", Text("key", key));
                if (await cached.ExecuteScalarAsync(token).ConfigureAwait(false) is true)
                {
                    // Cached by now: nothing to create (the transaction is rolled back).
                    return null;
                }
            }

            await transaction.CommitAsync(token).ConfigureAwait(false);
            return created;
        }, timeout, cancellationToken);

    /// <summary>Moves a queued job this host holds to running and extends its lease; false when it is no longer queued or no longer ours.</summary>
    public bool MarkJobRunning(long id, DateTimeOffset now) => Run(connection =>
        Execute(connection, """
            UPDATE jobs SET state = 'running', updated_at = @now, lease_until = @until
            WHERE id = @id AND state = 'queued' AND lease_owner = @host
            """, Int8("id", id), Int8("now", now.ToUnixTimeMilliseconds()), Int8("until", LeaseUntil(now)), Text("host", _hostId)) > 0);

    public void SaveJobProgress(long id, long bytesDone, long? bytesTotal, DateTimeOffset now) => Run(connection =>
        Execute(connection, """
            UPDATE jobs SET bytes_done = @done, bytes_total = @total, updated_at = @now, lease_until = @until
            WHERE id = @id AND state = 'running' AND lease_owner = @host
            """, Int8("id", id), Int8("done", bytesDone), Int8("total", bytesTotal), Int8("now", now.ToUnixTimeMilliseconds()),
            Int8("until", LeaseUntil(now)), Text("host", _hostId)));

    /// <summary>Records where a running fill stopped at shutdown; the job stays running (and this host's), so its start-up resumes it.</summary>
    public void CheckpointJob(long id, string tempFile, long bytesDone, long? bytesTotal, string validator, DateTimeOffset now) => Run(connection =>
        Execute(connection, """
            UPDATE jobs SET temp_file = @file, validator = @validator, bytes_done = @done, bytes_total = @total, updated_at = @now,
                lease_until = @until
            WHERE id = @id AND state = 'running' AND lease_owner = @host
            """, Int8("id", id), Text("file", tempFile), Text("validator", validator), Int8("done", bytesDone), Int8("total", bytesTotal),
            Int8("now", now.ToUnixTimeMilliseconds()), Int8("until", LeaseUntil(now)), Text("host", _hostId)));

    /// <summary>Temp files this host's unfinished jobs will resume from (other hosts' temp files are on their disks).</summary>
    public IReadOnlySet<string> ListCheckpointFiles() => Run(connection =>
        ReadAll(connection, r => r.GetString(0),
            "SELECT temp_file FROM jobs WHERE temp_file IS NOT NULL AND state IN ('queued', 'running') AND lease_owner = @host",
            Text("host", _hostId)).ToHashSet(StringComparer.Ordinal));

    /// <summary>Ends a queued or running job from any host and drops its capacity reservation.</summary>
    public void FinishJob(long id, JobState state, string? reason, bool permanent, DateTimeOffset now) => InTransaction(connection =>
    {
        Execute(connection, """
            UPDATE jobs SET state = @state, reason = @reason, permanent = @permanent, updated_at = @now,
                temp_file = NULL, validator = NULL, reserved_bytes = 0
            WHERE id = @id AND state IN ('queued', 'running')
            """, Int8("id", id), Text("state", JobStateText.Of(state)), Text("reason", reason), Bool("permanent", permanent), Int8("now", now.ToUnixTimeMilliseconds()));
        PruneFinishedJobs(connection);
        return 0;
    });

    /// <summary>Keeps the jobs table to about MaxJobs rows, as <see cref="CacheDatabase"/> does; queued and running jobs stay.</summary>
    private void PruneFinishedJobs(NpgsqlConnection connection) =>
        Execute(connection, "DELETE FROM jobs WHERE id <= (SELECT max(id) FROM jobs) - @cap AND state NOT IN ('queued', 'running')", Int8("cap", _maxJobs));

    public JobRecord? FindJob(long id) => Run(connection =>
        ReadAll(connection, CatalogRows.ReadJob, SelectJobs + " WHERE id = @id", Int8("id", id)).FirstOrDefault());

    /// <summary>Jobs by id (creation order) when sorted by "id"; otherwise running, then queued, then the rest, each newest first.</summary>
    public IReadOnlyList<JobRecord> ListJobs(ListQuery query) =>
        ListPage(SelectJobs, CatalogOrder.Jobs(query), query, CatalogRows.ReadJob);

    /// <summary>
    /// Jobs to run after this host restarts: the ones it held. Its running ones (the process died under them) go back
    /// to queued, keeping a checkpoint to resume from; all get a fresh lease. Other hosts' jobs stay theirs.
    /// </summary>
    public IReadOnlyList<JobRecord> RequeueInterruptedJobs(DateTimeOffset now) => InTransaction(connection =>
    {
        Execute(connection, """
            UPDATE jobs SET state = 'queued', lease_until = @until,
                updated_at = CASE WHEN state = 'running' THEN @now ELSE updated_at END,
                bytes_done = CASE WHEN state = 'running' AND temp_file IS NULL THEN 0 ELSE bytes_done END
            WHERE lease_owner = @host AND state IN ('queued', 'running')
            """, Int8("now", now.ToUnixTimeMilliseconds()), Int8("until", LeaseUntil(now)), Text("host", _hostId));
        return ReadAll(connection, CatalogRows.ReadJob, SelectJobs + " WHERE state = 'queued' AND lease_owner = @host ORDER BY id", Text("host", _hostId));
    });

    /// <summary>
    /// Extends this host's lease on its queued and running jobs; returns the ids it still holds. A job this host runs
    /// that is missing was finished elsewhere (an operator's cancel) or taken over after its lease ran out.
    /// </summary>
    public IReadOnlySet<long> RenewLeases(DateTimeOffset now) => Run(connection =>
        ReadAll(connection, r => r.GetInt64(0), """
            UPDATE jobs SET lease_until = @until WHERE lease_owner = @host AND state IN ('queued', 'running') RETURNING id
            """, Int8("until", LeaseUntil(now)), Text("host", _hostId)).ToHashSet());

    /// <summary>
    /// Takes over up to <paramref name="limit"/> queued or running jobs whose lease ran out before
    /// <paramref name="now"/>: they become queued, leased to this host, starting over (the old host's temp file is on
    /// its disk, not here). Rows another host is claiming right now are skipped, not waited for.
    /// </summary>
    public IReadOnlyList<JobRecord> ClaimExpiredJobs(DateTimeOffset now, int limit)
    {
        var claimed = Run(connection => ReadAll(connection, CatalogRows.ReadJob, $"""
            UPDATE jobs SET state = 'queued', lease_owner = @host, lease_until = @until, updated_at = @now,
                bytes_done = 0, temp_file = NULL, validator = NULL
            WHERE id IN (
                SELECT id FROM jobs WHERE state IN ('queued', 'running') AND lease_until < @now
                ORDER BY id LIMIT @limit FOR UPDATE SKIP LOCKED)
            RETURNING {JobColumns}
            """, Text("host", _hostId), Int8("until", LeaseUntil(now)), Int8("now", now.ToUnixTimeMilliseconds()), Int8("limit", Math.Max(0, limit))));
        claimed.Sort((a, b) => a.Id.CompareTo(b.Id));
        if (claimed.Count > 0)
        {
            LogClaimed(_logger, claimed.Count, string.Join(", ", claimed.Select(j => j.Id.ToString(CultureInfo.InvariantCulture))));
        }

        return claimed;
    }

    /// <summary>Per key, how many fills failed for good since its last success, and when the last one ended.</summary>
    public IReadOnlyList<(string Key, int Failures, DateTimeOffset LastFailure)> ListPermanentFailures() => Run(connection =>
        ReadAll(connection, r => (r.GetString(0), r.GetInt32(1), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2))), """
            SELECT key, count(*)::integer, max(updated_at) FROM jobs j
            WHERE state = 'failed' AND permanent
              AND id > coalesce((SELECT max(id) FROM jobs c WHERE c.key = j.key AND c.state = 'completed'), 0)
            GROUP BY key
            """));

    public (int Failures, DateTimeOffset LastFailure)? FindPermanentFailures(string key) =>
        FindPermanentFailuresAsync(key, Timeout.InfiniteTimeSpan, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public ValueTask<(int Failures, DateTimeOffset LastFailure)?> FindPermanentFailuresAsync(string key, TimeSpan timeout, CancellationToken cancellationToken) =>
        RunBoundedAsync<(int, DateTimeOffset)?>(async (connection, token) =>
        {
            await using var command = Command(connection, """
                SELECT count(*)::integer, max(updated_at) FROM jobs
                WHERE key = @key AND state = 'failed' AND permanent
                  AND id > coalesce((SELECT max(id) FROM jobs WHERE key = @key AND state = 'completed'), 0)
                """, Text("key", key));
            await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            await reader.ReadAsync(token).ConfigureAwait(false);
            return reader.IsDBNull(1) ? null : (reader.GetInt32(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)));
        }, timeout, cancellationToken);

    public int ClearFinishedJobs() =>
        Run(connection => Execute(connection, "DELETE FROM jobs WHERE state IN ('completed', 'failed', 'cancelled')"));
}
