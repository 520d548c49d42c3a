using System.Globalization;
using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using WithCache.Server.Hosting;

namespace WithCache.Server.Catalog;

/// <summary>
/// The PostgreSQL catalog that several cache-hosts share, with the semantics of <see cref="CacheDatabase"/>. Unlike it,
/// nothing is cached in memory: a delete on one host must be a miss on every host at once, so the hit path's look-up
/// is one indexed (auto-prepared) query. Writes are short transactions; where SQLite's single writer made a
/// read-then-write safe, a transaction-scoped advisory lock or a row lock does here. Times are Unix milliseconds.
/// The schema is versioned in <c>schema_version</c> and migrated at start-up under an advisory lock, so hosts that
/// start together do not race. A database that cannot be reached throws <see cref="CatalogUnavailableException"/>,
/// whose message never holds the connection string.
/// </summary>
internal sealed partial class PostgresCatalog : ICacheCatalog, IClusterCapacity, IDisposable
{
    // Advisory lock ids: one bigint key space for the whole database, so they are spelled out and distinct.
    private const long MigrationLockId = 0x5743_4341_5441_0001; // "WCCATA" 1
    private const long CapacityLockId = 0x5743_4341_5441_0002;
    private const long MissLockId = 0x5743_4341_5441_0003;

    // The two-int advisory key space (separate from the bigint one): (DigestLockClass, hashtext(digest)).
    private const int DigestLockClass = 0x5743_4401;

    private static readonly string[] Migrations =
    [
        // 1: everything CacheDatabase has after its four migrations, plus job leases and capacity reservations.
        // Sorted text columns are COLLATE "C" so that ORDER BY key is SQLite's binary (byte) order.
        """
        CREATE TABLE artifacts(
            key text COLLATE "C" PRIMARY KEY,
            origin text NOT NULL,
            digest text COLLATE "C" NOT NULL,
            size bigint NOT NULL,
            fetched_at bigint NOT NULL,
            hits bigint NOT NULL DEFAULT 0,
            misses_before bigint NOT NULL DEFAULT 0,
            last_hit_at bigint);
        CREATE INDEX artifacts_digest ON artifacts(digest);
        CREATE INDEX artifacts_fetched ON artifacts(fetched_at);
        CREATE INDEX artifacts_hits ON artifacts(hits);
        CREATE INDEX artifacts_size ON artifacts(size);
        CREATE TABLE misses(
            key text COLLATE "C" PRIMARY KEY,
            origin text NOT NULL,
            count bigint NOT NULL,
            first_seen bigint NOT NULL,
            last_seen bigint NOT NULL);
        CREATE INDEX misses_last_seen ON misses(last_seen);
        CREATE INDEX misses_count ON misses(count);
        CREATE TABLE jobs(
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            key text COLLATE "C" NOT NULL,
            origin text NOT NULL,
            state text NOT NULL,
            bytes_done bigint NOT NULL DEFAULT 0,
            bytes_total bigint,
            reason text,
            permanent boolean NOT NULL DEFAULT false,
            created_at bigint NOT NULL,
            updated_at bigint NOT NULL,
            temp_file text,
            validator text,
            lease_owner text,
            lease_until bigint,
            reserved_bytes bigint NOT NULL DEFAULT 0);
        CREATE UNIQUE INDEX jobs_one_active_per_key ON jobs(key) WHERE state IN ('queued', 'running');
        CREATE INDEX jobs_key ON jobs(key, id);
        CREATE INDEX jobs_state ON jobs(state, id);
        CREATE INDEX jobs_active_lease_owner ON jobs(lease_owner) WHERE state IN ('queued', 'running');
        CREATE INDEX jobs_active_lease_until ON jobs(lease_until) WHERE state IN ('queued', 'running');
        CREATE TABLE sessions(
            id text PRIMARY KEY,
            created_at bigint NOT NULL,
            expires_at bigint NOT NULL,
            revoked boolean NOT NULL DEFAULT false);
        CREATE INDEX sessions_expires ON sessions(expires_at);
        CREATE TABLE events(
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            at bigint NOT NULL,
            actor text NOT NULL,
            action text NOT NULL,
            subject text NOT NULL,
            detail text NOT NULL);
        CREATE TABLE api_tokens(
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name text NOT NULL,
            hash text NOT NULL UNIQUE,
            created_at bigint NOT NULL,
            last_used_at bigint,
            revoked boolean NOT NULL DEFAULT false);
        CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens(name) WHERE NOT revoked;
        """,
    ];

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger<PostgresCatalog> _logger;
    private readonly string _hostId;
    private readonly long _leaseMs;
    private readonly int _maxJobs;

    // host:port/database, for messages: the connection string itself may hold a password.
    private readonly string _where;
    private readonly string? _password;

    public PostgresCatalog(IOptions<ServerOptions> options, ILogger<PostgresCatalog> logger)
    {
        var settings = options.Value;
        _logger = logger;
        _hostId = string.IsNullOrWhiteSpace(settings.HostId) ? Environment.MachineName : settings.HostId;
        _leaseMs = (long)settings.JobLease.TotalMilliseconds;
        _maxJobs = settings.MaxJobs;
        if (!CatalogLocation.TryToConnectionString(settings.Catalog ?? "", out var connectionString, out var problem))
        {
            throw new InvalidOperationException($"--catalog: {problem}");
        }

        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var given = builder.ConnectionStringBuilder;
        _where = $"{given.Host}:{given.Port}/{given.Database}";
        _password = string.IsNullOrEmpty(given.Password) ? null : given.Password;
        var keys = GivenKeys(connectionString);
        if (!keys.Contains("timeout"))
        {
            given.Timeout = 5;
        }

        if (!keys.Contains("commandtimeout"))
        {
            given.CommandTimeout = 15;
        }

        // The hit path's look-up and the few other statements run on every request: prepared once per connection.
        if (!keys.Contains("maxautoprepare"))
        {
            given.MaxAutoPrepare = 32;
        }

        _dataSource = builder.Build();
        try
        {
            Migrate(FirstSchema(given.SearchPath));
        }
        catch
        {
            _dataSource.Dispose();
            throw;
        }
    }

    public string Kind => "postgres";

    public int UserVersion => Run(connection => (int)Scalar(connection, "SELECT coalesce(max(version), 0) FROM schema_version")!);

    public void Ping() => Run(connection => Scalar(connection, "SELECT 1"));

    public Task PingAsync(CancellationToken cancellationToken) => RunAsync(async connection =>
    {
        await using var command = Command(connection, "SELECT 1");
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }, cancellationToken).AsTask();

    public void Dispose() => _dataSource.Dispose();

    // ---- operator sessions ----

    public void CreateSession(string id, DateTimeOffset now, DateTimeOffset expires) => InTransaction(connection =>
    {
        Execute(connection, "DELETE FROM sessions WHERE expires_at < @now", Int8("now", now.ToUnixTimeMilliseconds()));
        return Execute(connection, "INSERT INTO sessions(id, created_at, expires_at) VALUES(@id, @now, @expires)",
            Text("id", id), Int8("now", now.ToUnixTimeMilliseconds()), Int8("expires", expires.ToUnixTimeMilliseconds()));
    });

    public bool IsSessionActive(string id, DateTimeOffset now) => Run(connection =>
        (bool)Scalar(connection, "SELECT EXISTS(SELECT 1 FROM sessions WHERE id = @id AND NOT revoked AND expires_at > @now)",
            Text("id", id), Int8("now", now.ToUnixTimeMilliseconds()))!);

    public void RevokeSession(string id) =>
        Run(connection => Execute(connection, "UPDATE sessions SET revoked = true WHERE id = @id", Text("id", id)));

    // ---- plumbing ----

    /// <summary>
    /// Brings the schema to <see cref="Migrations"/>' length in one transaction. The advisory lock makes hosts that
    /// start at once take turns; the second finds the work done. The schema named first in the connection's
    /// Search Path is created here too (each test server gets a fresh one this way).
    /// </summary>
    private void Migrate(string? schema)
    {
        var (from, to) = InTransaction(connection =>
        {
            Execute(connection, "SELECT pg_advisory_xact_lock(@lock)", Int8("lock", MigrationLockId));

            // Created only when missing: even with IF NOT EXISTS, PostgreSQL checks the CREATE privilege first, and a
            // role that may use a schema a DBA made for it need not be allowed to create one.
            if (schema is not null && !(bool)Scalar(connection, "SELECT EXISTS(SELECT 1 FROM pg_namespace WHERE nspname = @schema)", Text("schema", schema))!)
            {
                // An identifier cannot be a parameter: it is quoted instead.
                Execute(connection, $"CREATE SCHEMA IF NOT EXISTS {QuoteIdentifier(schema)}");
            }

            if (!(bool)Scalar(connection, "SELECT EXISTS(SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_version')")!)
            {
                Execute(connection, "CREATE TABLE schema_version(version integer PRIMARY KEY, applied_at bigint NOT NULL)");
            }

            var version = (int)Scalar(connection, "SELECT coalesce(max(version), 0) FROM schema_version")!;
            if (version > Migrations.Length)
            {
                throw new InvalidOperationException(
                    $"the PostgreSQL catalog {_where} has schema version {version}, newer than this withcache-server ({Migrations.Length}); refusing to touch it");
            }

            for (var next = version + 1; next <= Migrations.Length; next++)
            {
                // One statement per round trip: Npgsql sends a batch larger than its write buffer from a thread-pool
                // task, which hosts starting at once (their threads blocked on the lock) would keep waiting for a thread.
                foreach (var statement in Migrations[next - 1].Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    Execute(connection, statement);
                }

                Execute(connection, "INSERT INTO schema_version(version, applied_at) VALUES(@version, @now)",
                    Int4("version", next), Int8("now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            }

            return (version, Migrations.Length);
        });
        if (to > from)
        {
            LogMigrated(_logger, _where, from, to);
        }
    }

    /// <summary>Runs <paramref name="work"/> on a pooled connection; an unreachable database becomes <see cref="CatalogUnavailableException"/>.</summary>
    private T Run<T>(Func<NpgsqlConnection, T> work)
    {
        try
        {
            using var connection = _dataSource.OpenConnection();
            return work(connection);
        }
        catch (Exception e) when (IsUnreachable(e))
        {
            throw new CatalogUnavailableException($"the PostgreSQL catalog {_where} cannot be reached: {Scrub(Describe(e))}", e);
        }
    }

    private string NoAnswerWithin(TimeSpan timeout) =>
        string.Create(CultureInfo.InvariantCulture, $"the PostgreSQL catalog {_where} did not answer within {timeout.TotalSeconds:0.#} s");

    /// <summary><see cref="RunAsync{T}"/> with the query cancelled after <paramref name="timeout"/>, which is then a <see cref="CatalogUnavailableException"/>.</summary>
    private async ValueTask<T> RunBoundedAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> work, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            return await RunAsync(connection => work(connection, limit.Token), limit.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested && e is not CatalogUnavailableException)
        {
            throw new CatalogUnavailableException(NoAnswerWithin(timeout), e);
        }
    }

    private async ValueTask<T> RunAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            return await work(connection).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && IsUnreachable(e))
        {
            throw new CatalogUnavailableException($"the PostgreSQL catalog {_where} cannot be reached: {Scrub(Describe(e))}", e);
        }
    }

    /// <summary>Runs <paramref name="work"/> in one transaction, committed when it returns.</summary>
    private T InTransaction<T>(Func<NpgsqlConnection, T> work) => Run(connection =>
    {
        using var transaction = connection.BeginTransaction();
        var result = work(connection);
        transaction.Commit();
        return result;
    });

    /// <summary>
    /// The faults of the database or the way to it, not of this code: no route, refused, timed out, pool exhausted,
    /// the server shutting down or refusing this login. A syntax error or a constraint violation is a bug and stays as it is.
    /// </summary>
    private static bool IsUnreachable(Exception e) => e switch
    {
        PostgresException pg => pg.IsTransient
            || pg.SqlState.StartsWith("08", StringComparison.Ordinal) // connection exception
            || pg.SqlState.StartsWith("28", StringComparison.Ordinal) // invalid authorization
            || pg.SqlState.StartsWith("57P", StringComparison.Ordinal) // shutdown, cannot connect now
            || pg.SqlState == PostgresErrorCodes.InvalidCatalogName, // no such database
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is SocketException or TimeoutException or IOException,
        SocketException or TimeoutException => true,
        _ => false,
    };

    private static string Describe(Exception e) => e switch
    {
        PostgresException pg => $"{pg.SqlState}: {pg.MessageText}",
        _ when e.InnerException is { } inner => $"{e.Message} ({inner.Message})",
        _ => e.Message,
    };

    /// <summary>Npgsql does not put the password in its messages; this makes sure of it.</summary>
    private string Scrub(string message) =>
        _password is null ? message : message.Replace(_password, "***", StringComparison.Ordinal);

    /// <summary>The option names the user's connection string sets, lower case without spaces ("commandtimeout").</summary>
    private static HashSet<string> GivenKeys(string connectionString)
    {
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        return given.Keys.Cast<string>().Select(k => k.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The first schema of a search path ("a, public" gives a); null for none or for "$user".</summary>
    private static string? FirstSchema(string? searchPath)
    {
        var first = searchPath?.Split(',')[0].Trim();
        if (first is { Length: > 1 } && first[0] == '"' && first[^1] == '"')
        {
            first = first[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal);
        }

        return string.IsNullOrEmpty(first) || first == "$user" ? null : first;
    }

    private static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, params NpgsqlParameter[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddRange(parameters);
        return command;
    }

    private static int Execute(NpgsqlConnection connection, string sql, params NpgsqlParameter[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private static object? Scalar(NpgsqlConnection connection, string sql, params NpgsqlParameter[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        return command.ExecuteScalar();
    }

    private static List<T> ReadAll<T>(NpgsqlConnection connection, Func<NpgsqlDataReader, T> read, string sql, params NpgsqlParameter[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        var rows = new List<T>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    private static NpgsqlParameter Text(string name, string? value) => new(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value };

    private static NpgsqlParameter Int8(string name, long? value) => new(name, NpgsqlDbType.Bigint) { Value = (object?)value ?? DBNull.Value };

    private static NpgsqlParameter Int4(string name, int value) => new(name, NpgsqlDbType.Integer) { Value = value };

    private static NpgsqlParameter Bool(string name, bool value) => new(name, NpgsqlDbType.Boolean) { Value = value };

    private static NpgsqlParameter TextArray(string name, string[] values) => new(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = values };

    private static NpgsqlParameter Int8Array(string name, long[] values) => new(name, NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = values };

    private static string? EmptyToNull(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;

    private long LeaseUntil(DateTimeOffset now) => now.ToUnixTimeMilliseconds() + _leaseMs;

    [LoggerMessage(EventId = 1800, Level = LogLevel.Information, Message = "PostgreSQL catalog {Catalog} migrated from schema version {From} to {To}")]
    private static partial void LogMigrated(ILogger logger, string catalog, int from, int to);

    [LoggerMessage(EventId = 1801, Level = LogLevel.Information, Message = "Took over {Count} job(s) whose lease had run out: {JobIds}")]
    private static partial void LogClaimed(ILogger logger, int count, string jobIds);
}
