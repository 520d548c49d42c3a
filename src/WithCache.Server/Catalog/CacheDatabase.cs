using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using WithCache.Server.Blobs;
using WithCache.Server.Hosting;

namespace WithCache.Server.Catalog;

/// <summary>
/// The SQLite catalog: which key maps to which blob, misses, and download jobs. Sync API (Microsoft.Data.Sqlite's
/// async methods run synchronously anyway), WAL, a busy timeout, writes serialised through one lock, parameterised
/// SQL only, schema versioned by <c>PRAGMA user_version</c>. Times are stored as Unix milliseconds.
/// </summary>
internal sealed partial class CacheDatabase : ICacheCatalog
{
    private const int SchemaVersion = 4;

    private static readonly string[] Migrations =
    [
        // 1: the first schema.
        """
        CREATE TABLE artifacts(
            key TEXT PRIMARY KEY,
            origin TEXT NOT NULL,
            digest TEXT NOT NULL,
            size INTEGER NOT NULL,
            fetched_at INTEGER NOT NULL,
            hits INTEGER NOT NULL DEFAULT 0,
            misses_before INTEGER NOT NULL DEFAULT 0,
            last_hit_at INTEGER);
        CREATE INDEX artifacts_digest ON artifacts(digest);
        CREATE INDEX artifacts_fetched ON artifacts(fetched_at);
        CREATE INDEX artifacts_hits ON artifacts(hits);
        CREATE INDEX artifacts_size ON artifacts(size);
        CREATE TABLE misses(
            key TEXT PRIMARY KEY,
            origin TEXT NOT NULL,
            count INTEGER NOT NULL,
            first_seen INTEGER NOT NULL,
            last_seen INTEGER NOT NULL);
        CREATE INDEX misses_last_seen ON misses(last_seen);
        CREATE INDEX misses_count ON misses(count);
        CREATE TABLE jobs(
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            key TEXT NOT NULL,
            origin TEXT NOT NULL,
            state TEXT NOT NULL,
            bytes_done INTEGER NOT NULL DEFAULT 0,
            bytes_total INTEGER,
            reason TEXT,
            permanent INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL);
        CREATE UNIQUE INDEX jobs_one_active_per_key ON jobs(key) WHERE state IN ('queued', 'running');
        CREATE INDEX jobs_key ON jobs(key, id);
        CREATE INDEX jobs_state ON jobs(state, id);
        """,

        // 2: operator sessions, so that a logout revokes a session on the server and a restart keeps the others.
        """
        CREATE TABLE sessions(
            id TEXT PRIMARY KEY,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            revoked INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX sessions_expires ON sessions(expires_at);
        """,

        // 3: a fill interrupted by a shutdown keeps its temp file name and If-Range validator, to resume with Range.
        """
        ALTER TABLE jobs ADD COLUMN temp_file TEXT;
        ALTER TABLE jobs ADD COLUMN validator TEXT;
        """,

        // 4: the audit log (operator and API actions, fill outcomes) and API tokens, stored as hashes only.
        """
        CREATE TABLE events(
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            subject TEXT NOT NULL,
            detail TEXT NOT NULL);
        CREATE TABLE api_tokens(
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            hash TEXT NOT NULL UNIQUE,
            created_at INTEGER NOT NULL,
            last_used_at INTEGER,
            revoked INTEGER NOT NULL DEFAULT 0);
        """,
    ];

    private readonly string _connectionString;
    private readonly Lock _writeLock = new();
    private readonly int _maxJobs;

    // The hit path's look-up, kept in memory: every write that changes an artifact row goes through this class
    // and drops its entry. Only found rows are kept, so a client spraying unknown URLs cannot grow it.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ArtifactRecord> _artifacts = new(StringComparer.Ordinal);

    public CacheDatabase(IOptions<ServerOptions> options)
    {
        _maxJobs = options.Value.MaxJobs;
        var dataDir = Path.GetFullPath(options.Value.DataDir);
        Directory.CreateDirectory(dataDir);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(dataDir, "cache.db"),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
            ForeignKeys = true,
        }.ToString();
        Migrate();
    }

    public string Kind => "sqlite";

    public int UserVersion
    {
        get
        {
            using var connection = Open();
            return Convert.ToInt32(Scalar(connection, "PRAGMA user_version"), System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>A local file: answered synchronously.</summary>
    public Task PingAsync(CancellationToken cancellationToken)
    {
        Ping();
        return Task.CompletedTask;
    }

    public void Ping()
    {
        using var connection = Open();
        Scalar(connection, "SELECT 1");
    }

    // ---- artifacts ----

    /// <summary>Synchronous: a row in memory, or one primary-key read of a local file.</summary>
    public ValueTask<ArtifactRecord?> FindArtifactAsync(string key, TimeSpan timeout, CancellationToken cancellationToken) => new(FindArtifact(key));

    /// <summary>The artifact stored under a key (its hit count may lag: the catalog has the current one).</summary>
    public ArtifactRecord? FindArtifact(string key)
    {
        if (_artifacts.TryGetValue(key, out var cached))
        {
            return cached;
        }

        using var connection = Open();
        using var command = Command(connection, "SELECT key, origin, digest, size, fetched_at, hits, misses_before FROM artifacts WHERE key = $key", ("$key", key));
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        var artifact = CatalogRows.ReadArtifact(reader);
        lock (_writeLock)
        {
            // A write under the lock may have changed the row since it was read: only a fresh read is kept.
            using var check = Command(connection, "SELECT digest FROM artifacts WHERE key = $key", ("$key", key));
            if (check.ExecuteScalar() as string == artifact.Digest.Hex)
            {
                _artifacts[key] = artifact;
            }
        }

        return artifact;
    }

    public IReadOnlyList<ArtifactRecord> ListArtifacts(ListQuery query)
    {
        var order = CatalogOrder.Artifacts(query);
        var sql = $"""
            SELECT key, origin, digest, size, fetched_at, hits, misses_before FROM artifacts
            WHERE ($filter IS NULL OR instr(key, $filter) > 0)
            ORDER BY {order} LIMIT $limit OFFSET $offset
            """;
        using var connection = Open();
        using var command = Command(connection, sql, ("$filter", EmptyToNull(query.Filter)), ("$limit", query.SafeLimit), ("$offset", query.SafeOffset));
        return ReadAll(command, CatalogRows.ReadArtifact);
    }

    public long CountArtifacts(string? filter = null)
    {
        using var connection = Open();
        return (long)Scalar(connection, "SELECT count(*) FROM artifacts WHERE ($filter IS NULL OR instr(key, $filter) > 0)", ("$filter", EmptyToNull(filter)))!;
    }

    /// <summary>Bytes used by distinct blobs (two keys with the same bytes share one blob).</summary>
    public long StoredBytes()
    {
        using var connection = Open();
        return (long)Scalar(connection, "SELECT coalesce(sum(size), 0) FROM (SELECT DISTINCT digest, size FROM artifacts)")!;
    }

    public IReadOnlyList<(ContentDigest Digest, long Size)> ListDigests()
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT DISTINCT digest, size FROM artifacts");
        return ReadAll(command, r => (ContentDigest.Parse(r.GetString(0)), r.GetInt64(1)));
    }

    /// <summary>Records a finished fill: the artifact row (carrying the key's miss count), the job's end, the miss row gone.</summary>
    public void CompleteFill(long jobId, string key, string origin, ContentDigest digest, long size, DateTimeOffset now)
    {
        lock (_writeLock)
        {
            using var connection = Open();
            using var transaction = connection.BeginTransaction();
            Execute(connection, transaction, """
                INSERT INTO artifacts(key, origin, digest, size, fetched_at, hits, misses_before)
                VALUES($key, $origin, $digest, $size, $now, 0, coalesce((SELECT count FROM misses WHERE key = $key), 0))
                ON CONFLICT(key) DO UPDATE SET origin = excluded.origin, digest = excluded.digest, size = excluded.size,
                    fetched_at = excluded.fetched_at
                """, ("$key", key), ("$origin", origin), ("$digest", digest.Hex), ("$size", size), ("$now", now.ToUnixTimeMilliseconds()));
            Execute(connection, transaction, "DELETE FROM misses WHERE key = $key", ("$key", key));
            _artifacts.TryRemove(key, out _);
            Execute(connection, transaction, """
                UPDATE jobs SET state = 'completed', bytes_done = $size, bytes_total = $size, reason = NULL, updated_at = $now,
                    temp_file = NULL, validator = NULL
                WHERE id = $id
                """, ("$id", jobId), ("$size", size), ("$now", now.ToUnixTimeMilliseconds()));
            PruneFinishedJobs(connection, transaction);
            transaction.Commit();
        }
    }

    /// <summary>Deletes an artifact row; returns its digest and whether another row still uses that blob.</summary>
    public (ContentDigest Digest, long Size, bool BlobStillUsed)? DeleteArtifact(string key)
    {
        lock (_writeLock)
        {
            using var connection = Open();
            using var transaction = connection.BeginTransaction();
            using var find = Command(connection, "SELECT digest, size FROM artifacts WHERE key = $key", ("$key", key));
            find.Transaction = transaction;
            string digestHex;
            long size;
            using (var reader = find.ExecuteReader())
            {
                if (!reader.Read())
                {
                    return null;
                }

                digestHex = reader.GetString(0);
                size = reader.GetInt64(1);
            }

            Execute(connection, transaction, "DELETE FROM artifacts WHERE key = $key", ("$key", key));
            _artifacts.TryRemove(key, out _);
            using var others = Command(connection, "SELECT count(*) FROM artifacts WHERE digest = $digest", ("$digest", digestHex));
            others.Transaction = transaction;
            var stillUsed = (long)others.ExecuteScalar()! > 0;
            transaction.Commit();
            return (ContentDigest.Parse(digestHex), size, stillUsed);
        }
    }

    /// <summary>Drops the rows of a blob that is gone from disk; returns how many.</summary>
    public int DeleteArtifactsWithDigest(ContentDigest digest)
    {
        lock (_writeLock)
        {
            using var connection = Open();
            foreach (var entry in _artifacts.Where(e => e.Value.Digest == digest).ToList())
            {
                _artifacts.TryRemove(entry.Key, out _);
            }

            return Execute(connection, null, "DELETE FROM artifacts WHERE digest = $digest", ("$digest", digest.Hex));
        }
    }

    public void AddHits(IReadOnlyDictionary<string, long> hits, DateTimeOffset now)
    {
        if (hits.Count == 0)
        {
            return;
        }

        lock (_writeLock)
        {
            using var connection = Open();
            using var transaction = connection.BeginTransaction();
            using var command = Command(connection, "UPDATE artifacts SET hits = hits + $count, last_hit_at = $now WHERE key = $key");
            command.Transaction = transaction;
            var key = command.Parameters.Add("$key", SqliteType.Text);
            var count = command.Parameters.Add("$count", SqliteType.Integer);
            command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            foreach (var (k, c) in hits)
            {
                key.Value = k;
                count.Value = c;
                command.ExecuteNonQuery();
            }

            transaction.Commit();
        }
    }

    // ---- misses ----

    /// <summary>
    /// Adds counted misses and drops the least recently seen keys beyond <paramref name="cap"/>. A miss of a key that
    /// is cached by now (counted just before its fill committed) is dropped: it must not list a cached artifact.
    /// </summary>
    public void RecordMisses(IReadOnlyCollection<MissDelta> deltas, int cap)
    {
        if (deltas.Count == 0)
        {
            return;
        }

        lock (_writeLock)
        {
            using var connection = Open();
            using var transaction = connection.BeginTransaction();
            using var command = Command(connection, """
                INSERT INTO misses(key, origin, count, first_seen, last_seen)
                SELECT $key, $origin, $count, $first, $last WHERE NOT EXISTS (SELECT 1 FROM artifacts WHERE key = $key)
                ON CONFLICT(key) DO UPDATE SET count = count + excluded.count, last_seen = max(last_seen, excluded.last_seen)
                """);
            command.Transaction = transaction;
            var key = command.Parameters.Add("$key", SqliteType.Text);
            var origin = command.Parameters.Add("$origin", SqliteType.Text);
            var count = command.Parameters.Add("$count", SqliteType.Integer);
            var first = command.Parameters.Add("$first", SqliteType.Integer);
            var last = command.Parameters.Add("$last", SqliteType.Integer);
            foreach (var delta in deltas)
            {
                key.Value = delta.Key;
                origin.Value = delta.Origin;
                count.Value = delta.Count;
                first.Value = delta.FirstSeen.ToUnixTimeMilliseconds();
                last.Value = delta.LastSeen.ToUnixTimeMilliseconds();
                command.ExecuteNonQuery();
            }

            using var total = Command(connection, "SELECT count(*) FROM misses");
            total.Transaction = transaction;
            var excess = (long)total.ExecuteScalar()! - cap;
            if (excess > 0)
            {
                Execute(connection, transaction,
                    "DELETE FROM misses WHERE key IN (SELECT key FROM misses ORDER BY last_seen, key LIMIT $excess)", ("$excess", excess));
            }

            transaction.Commit();
        }
    }

    public MissRecord? FindMiss(string key)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT key, origin, count, first_seen, last_seen FROM misses WHERE key = $key", ("$key", key));
        using var reader = command.ExecuteReader();
        return reader.Read() ? CatalogRows.ReadMiss(reader) : null;
    }

    public IReadOnlyList<MissRecord> ListMisses(ListQuery query)
    {
        var order = CatalogOrder.Misses(query);
        var sql = $"""
            SELECT key, origin, count, first_seen, last_seen FROM misses
            WHERE ($filter IS NULL OR instr(key, $filter) > 0)
            ORDER BY {order} LIMIT $limit OFFSET $offset
            """;
        using var connection = Open();
        using var command = Command(connection, sql, ("$filter", EmptyToNull(query.Filter)), ("$limit", query.SafeLimit), ("$offset", query.SafeOffset));
        return ReadAll(command, CatalogRows.ReadMiss);
    }

    public long CountMisses(string? filter = null)
    {
        using var connection = Open();
        return (long)Scalar(connection, "SELECT count(*) FROM misses WHERE ($filter IS NULL OR instr(key, $filter) > 0)", ("$filter", EmptyToNull(filter)))!;
    }

    public bool DeleteMiss(string key)
    {
        lock (_writeLock)
        {
            using var connection = Open();
            return Execute(connection, null, "DELETE FROM misses WHERE key = $key", ("$key", key)) > 0;
        }
    }

    // ---- jobs ----

    /// <summary>Synchronous: a local file.</summary>
    public ValueTask<long?> CreateJobAsync(string key, string origin, DateTimeOffset now, TimeSpan timeout, CancellationToken cancellationToken) =>
        new(CreateJob(key, origin, now));

    /// <summary>Creates a queued job for a key; null when the key already has a queued or running job or an artifact row (one writer, so one statement sees both).</summary>
    public long? CreateJob(string key, string origin, DateTimeOffset now)
    {
        lock (_writeLock)
        {
            using var connection = Open();
            using var command = Command(connection, """
                INSERT INTO jobs(key, origin, state, created_at, updated_at)
                SELECT $key, $origin, 'queued', $now, $now WHERE NOT EXISTS (SELECT 1 FROM artifacts WHERE key = $key)
                ON CONFLICT DO NOTHING RETURNING id
                """, ("$key", key), ("$origin", origin), ("$now", now.ToUnixTimeMilliseconds()));
            return command.ExecuteScalar() is long id ? id : null;
        }
    }

    public bool MarkJobRunning(long id, DateTimeOffset now)
    {
        lock (_writeLock)
        {
            using var connection = Open();
            return Execute(connection, null, "UPDATE jobs SET state = 'running', updated_at = $now WHERE id = $id AND state = 'queued'",
                ("$id", id), ("$now", now.ToUnixTimeMilliseconds())) > 0;
        }
    }

    public void SaveJobProgress(long id, long bytesDone, long? bytesTotal, DateTimeOffset now)
    {
        lock (_writeLock)
        {
            using var connection = Open();
            Execute(connection, null, "UPDATE jobs SET bytes_done = $done, bytes_total = $total, updated_at = $now WHERE id = $id AND state = 'running'",
                ("$id", id), ("$done", bytesDone), ("$total", bytesTotal), ("$now", now.ToUnixTimeMilliseconds()));
        }
    }

    /// <summary>Records where a running fill stopped at shutdown; the job stays running, so start-up resumes it.</summary>
    public void CheckpointJob(long id, string tempFile, long bytesDone, long? bytesTotal, string validator, DateTimeOffset now)
    {
        lock (_writeLock)
        {
            using var connection = Open();
            Execute(connection, null, """
                UPDATE jobs SET temp_file = $file, validator = $validator, bytes_done = $done, bytes_total = $total, updated_at = $now
                WHERE id = $id AND state = 'running'
                """, ("$id", id), ("$file", tempFile), ("$validator", validator), ("$done", bytesDone), ("$total", bytesTotal),
                ("$now", now.ToUnixTimeMilliseconds()));
        }
    }

    /// <summary>Temp files that unfinished jobs will resume from: start-up must not sweep these.</summary>
    public IReadOnlySet<string> ListCheckpointFiles()
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT temp_file FROM jobs WHERE temp_file IS NOT NULL AND state IN ('queued', 'running')");
        return ReadAll(command, r => r.GetString(0)).ToHashSet(StringComparer.Ordinal);
    }

    public void FinishJob(long id, JobState state, string? reason, bool permanent, DateTimeOffset now)
    {
        lock (_writeLock)
        {
            using var connection = Open();
            Execute(connection, null, """
                UPDATE jobs SET state = $state, reason = $reason, permanent = $permanent, updated_at = $now,
                    temp_file = NULL, validator = NULL
                WHERE id = $id AND state IN ('queued', 'running')
                """, ("$id", id), ("$state", JobStateText.Of(state)), ("$reason", reason), ("$permanent", permanent ? 1 : 0), ("$now", now.ToUnixTimeMilliseconds()));
            PruneFinishedJobs(connection, null);
        }
    }

    /// <summary>
    /// Keeps the jobs table to about <see cref="ServerOptions.MaxJobs"/> rows: finished jobs older than the newest
    /// that many go (a miss of every distinct URL would otherwise grow it without end). Queued and running jobs stay.
    /// </summary>
    private void PruneFinishedJobs(SqliteConnection connection, SqliteTransaction? transaction) =>
        Execute(connection, transaction,
            "DELETE FROM jobs WHERE id <= (SELECT max(id) FROM jobs) - $cap AND state NOT IN ('queued', 'running')", ("$cap", _maxJobs));

    public JobRecord? FindJob(long id)
    {
        using var connection = Open();
        using var command = Command(connection, JobColumns + " WHERE id = $id", ("$id", id));
        using var reader = command.ExecuteReader();
        return reader.Read() ? CatalogRows.ReadJob(reader) : null;
    }

    /// <summary>Jobs by id (creation order) when sorted by "id"; otherwise running, then queued, then the rest, each newest first.</summary>
    public IReadOnlyList<JobRecord> ListJobs(ListQuery query)
    {
        var order = CatalogOrder.Jobs(query);
        using var connection = Open();
        using var command = Command(connection, JobColumns + $"""
             WHERE ($filter IS NULL OR instr(key, $filter) > 0)
             ORDER BY {order} LIMIT $limit OFFSET $offset
            """, ("$filter", EmptyToNull(query.Filter)), ("$limit", query.SafeLimit), ("$offset", query.SafeOffset));
        return ReadAll(command, CatalogRows.ReadJob);
    }

    /// <summary>Jobs to run after a restart: running ones (the process died under them) go back to queued first.</summary>
    public IReadOnlyList<JobRecord> RequeueInterruptedJobs(DateTimeOffset now)
    {
        lock (_writeLock)
        {
            using var connection = Open();
            Execute(connection, null, """
                UPDATE jobs SET state = 'queued', updated_at = $now,
                    bytes_done = CASE WHEN temp_file IS NULL THEN 0 ELSE bytes_done END
                WHERE state = 'running'
                """, ("$now", now.ToUnixTimeMilliseconds()));
            using var command = Command(connection, JobColumns + " WHERE state = 'queued' ORDER BY id");
            return ReadAll(command, CatalogRows.ReadJob);
        }
    }

    /// <summary>One host owns every job here: all queued and running jobs are this host's.</summary>
    public IReadOnlySet<long> RenewLeases(DateTimeOffset now)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT id FROM jobs WHERE state IN ('queued', 'running')");
        return ReadAll(command, r => r.GetInt64(0)).ToHashSet();
    }

    /// <summary>No other host can have left jobs behind: start-up's <see cref="RequeueInterruptedJobs"/> takes them all.</summary>
    public IReadOnlyList<JobRecord> ClaimExpiredJobs(DateTimeOffset now, int limit) => [];

    /// <summary>Per key, how many fills failed for good since its last success, and when the last one ended.</summary>
    public IReadOnlyList<(string Key, int Failures, DateTimeOffset LastFailure)> ListPermanentFailures()
    {
        using var connection = Open();
        using var command = Command(connection, """
            SELECT key, count(*), max(updated_at) FROM jobs j
            WHERE state = 'failed' AND permanent = 1
              AND id > coalesce((SELECT max(id) FROM jobs c WHERE c.key = j.key AND c.state = 'completed'), 0)
            GROUP BY key
            """);
        return ReadAll(command, r => (r.GetString(0), r.GetInt32(1), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2))));
    }

    /// <summary>Synchronous: a local file.</summary>
    public ValueTask<(int Failures, DateTimeOffset LastFailure)?> FindPermanentFailuresAsync(string key, TimeSpan timeout, CancellationToken cancellationToken) =>
        new(FindPermanentFailures(key));

    public (int Failures, DateTimeOffset LastFailure)? FindPermanentFailures(string key)
    {
        using var connection = Open();
        using var command = Command(connection, """
            SELECT count(*), max(updated_at) FROM jobs
            WHERE key = $key AND state = 'failed' AND permanent = 1
              AND id > coalesce((SELECT max(id) FROM jobs WHERE key = $key AND state = 'completed'), 0)
            """, ("$key", key));
        return ReadAll(command, r => r.IsDBNull(1) ? ((int, DateTimeOffset)?)null : (r.GetInt32(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)))).Single();
    }

    public int ClearFinishedJobs()
    {
        lock (_writeLock)
        {
            using var connection = Open();
            return Execute(connection, null, "DELETE FROM jobs WHERE state IN ('completed', 'failed', 'cancelled')");
        }
    }

    // ---- operator sessions ----

    public void CreateSession(string id, DateTimeOffset now, DateTimeOffset expires)
    {
        lock (_writeLock)
        {
            using var connection = Open();
            Execute(connection, null, "DELETE FROM sessions WHERE expires_at < $now", ("$now", now.ToUnixTimeMilliseconds()));
            Execute(connection, null, "INSERT INTO sessions(id, created_at, expires_at) VALUES($id, $now, $expires)",
                ("$id", id), ("$now", now.ToUnixTimeMilliseconds()), ("$expires", expires.ToUnixTimeMilliseconds()));
        }
    }

    public bool IsSessionActive(string id, DateTimeOffset now)
    {
        using var connection = Open();
        return (long)Scalar(connection, "SELECT count(*) FROM sessions WHERE id = $id AND revoked = 0 AND expires_at > $now",
            ("$id", id), ("$now", now.ToUnixTimeMilliseconds()))! > 0;
    }

    public void RevokeSession(string id)
    {
        lock (_writeLock)
        {
            using var connection = Open();
            Execute(connection, null, "UPDATE sessions SET revoked = 1 WHERE id = $id", ("$id", id));
        }
    }

    // ---- plumbing ----

    private const string JobColumns =
        "SELECT id, key, origin, state, bytes_done, bytes_total, reason, permanent, created_at, updated_at, temp_file, validator FROM jobs";

    private void Migrate()
    {
        lock (_writeLock)
        {
            using var connection = Open();
            Scalar(connection, "PRAGMA journal_mode = WAL");
            var version = Convert.ToInt32(Scalar(connection, "PRAGMA user_version"), System.Globalization.CultureInfo.InvariantCulture);
            if (version > SchemaVersion)
            {
                throw new InvalidOperationException(
                    $"cache.db has schema version {version}, newer than this withcache-server ({SchemaVersion}); refusing to touch it");
            }

            for (var next = version + 1; next <= SchemaVersion; next++)
            {
                using var transaction = connection.BeginTransaction();
                Execute(connection, transaction, Migrations[next - 1]);
                Execute(connection, transaction, $"PRAGMA user_version = {next}");
                transaction.Commit();
            }
        }
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private static int Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        command.Transaction = transaction;
        return command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        return command.ExecuteScalar();
    }

    private static List<T> ReadAll<T>(SqliteCommand command, Func<SqliteDataReader, T> read)
    {
        var rows = new List<T>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    private static string? EmptyToNull(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;
}
