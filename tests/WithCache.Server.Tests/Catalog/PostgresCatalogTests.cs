using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using WithCache.Server.Blobs;
using WithCache.Server.Catalog;
using WithCache.Server.Hosting;

namespace WithCache.Server.Tests.Catalog;

/// <summary>
/// The catalog contract on <see cref="PostgresCatalog"/>, and what only a shared catalog does: concurrent migration,
/// job leases between hosts, capacity across hosts, an unreachable database. Runs against the real PostgreSQL named by
/// WITHCACHE_TEST_PG (ci/services/pg-up.sh); each test gets a fresh schema, dropped at the end. Two "hosts" are two
/// catalogs with different host ids on that schema.
/// </summary>
public sealed class PostgresCatalogTests : CatalogContractTests
{
    private const string SkipReason = "WITHCACHE_TEST_PG is not set: start ci/services/pg-up.sh and source its pg.env to run the PostgreSQL tests";

    private static readonly string? Server = Environment.GetEnvironmentVariable("WITHCACHE_TEST_PG") is { Length: > 0 } text ? text : null;

    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    private readonly string _schema = "t_" + Guid.NewGuid().ToString("N");
    private readonly ConcurrentBag<PostgresCatalog> _opened = [];

    private protected override int CurrentVersion => 1;

    private string ConnectionString => $"{Server};SearchPath={_schema};Application Name={_schema}";

    [SkippableFact]
    public void Open_EightHostsAtOnce_AllSucceedAndMigrateOnce()
    {
        Skip.If(Server is null, SkipReason);

        var catalogs = Enumerable.Range(0, 8).AsParallel().WithDegreeOfParallelism(8)
            .Select(i => OpenHost($"host-{i}"))
            .ToList();

        Assert.All(catalogs, c => Assert.Equal(1, c.UserVersion));
        Assert.Equal(1L, Sql("SELECT count(*) FROM schema_version"));
        Assert.Equal("postgres", catalogs[0].Kind);
    }

    [SkippableFact]
    public void Open_NewerSchemaVersion_Refused()
    {
        OpenHost("a");
        Sql("INSERT INTO schema_version(version, applied_at) VALUES(2, 0)");

        var error = Assert.Throws<InvalidOperationException>(() => OpenHost("b"));

        Assert.Contains("schema version 2, newer than this withcache-server (1)", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void FindArtifact_DeletedOnAnotherHost_MissAtOnce()
    {
        var a = OpenHost("a");
        var b = OpenHost("b");
        var job = a.CreateJob("http://h/a", "http://h/a", T0)!.Value;
        a.CompleteFill(job, "http://h/a", "http://h/a", ContentDigest.Parse(new string('a', 64)), 3, T0);
        Assert.NotNull(a.FindArtifact("http://h/a"));

        b.DeleteArtifact("http://h/a");

        Assert.Null(a.FindArtifact("http://h/a"));
    }

    [SkippableFact]
    public void RecordMisses_RacingFillsOnAnotherHost_NoMissRowForACachedKey()
    {
        var a = OpenHost("a");
        var b = OpenHost("b");
        var keys = Enumerable.Range(0, 200).Select(i => $"http://h/{i}").ToList();
        var jobs = keys.ToDictionary(k => k, k => a.CreateJob(k, k, T0)!.Value);

        Parallel.Invoke(
            () =>
            {
                foreach (var key in keys)
                {
                    a.CompleteFill(jobs[key], key, key, ContentDigest.Parse(new string('a', 64)), 1, T0);
                }
            },
            () =>
            {
                foreach (var chunk in keys.Chunk(10))
                {
                    b.RecordMisses(chunk.Select(k => new MissDelta(k, k, 1, T0, T0)).ToList(), 10_000);
                }
            });

        Assert.Equal(0, a.CountMisses());
        Assert.Equal(200, a.CountArtifacts());
    }

    [SkippableFact]
    public void DeleteArtifact_LastTwoKeysOfABlobOnTwoHosts_ExactlyOneSeesItUnused()
    {
        var a = OpenHost("a");
        var b = OpenHost("b");
        for (var round = 0; round < 20; round++)
        {
            var hex = new string((char)('a' + (round % 6)), 63) + (round % 10);
            foreach (var key in new[] { $"http://h/{round}/1", $"http://h/{round}/2" })
            {
                a.CompleteFill(a.CreateJob(key, key, T0)!.Value, key, key, ContentDigest.Parse(hex), 1, T0);
            }

            var results = new[] { (a, $"http://h/{round}/1"), (b, $"http://h/{round}/2") }.AsParallel().WithDegreeOfParallelism(2)
                .Select(x => x.Item1.DeleteArtifact(x.Item2)!.Value.BlobStillUsed).ToList();

            Assert.Single(results, used => !used);
        }
    }

    [SkippableFact]
    public void AddHits_OverlappingKeysFromTwoHostsInOppositeOrder_AllCounted()
    {
        var a = OpenHost("a");
        var b = OpenHost("b");
        var keys = Enumerable.Range(0, 50).Select(i => $"http://h/{i:D2}").ToList();
        foreach (var key in keys)
        {
            a.CompleteFill(a.CreateJob(key, key, T0)!.Value, key, key, ContentDigest.Parse(new string('b', 64)), 1, T0);
        }

        var forward = keys.ToDictionary(k => k, _ => 1L);
        var backward = Enumerable.Reverse(keys).ToDictionary(k => k, _ => 1L);
        Parallel.For(0, 40, i => (i % 2 == 0 ? a : b).AddHits(i % 2 == 0 ? forward : backward, T0));

        Assert.All(keys, k => Assert.Equal(40, a.FindArtifact(k)!.Hits));
    }

    [SkippableFact]
    public void ClaimExpiredJobs_BeforeExpiry_NothingAfterExpiry_TakenAndStartedOver()
    {
        var a = OpenHost("a", TimeSpan.FromSeconds(10));
        var b = OpenHost("b", TimeSpan.FromSeconds(10));
        var job = a.CreateJob("http://h/a", "http://h/a", T0)!.Value;
        Assert.True(a.MarkJobRunning(job, T0));
        a.CheckpointJob(job, "tmp/x.part", 40, 100, "\"v\"", T0.AddSeconds(5)); // lease now runs to T0 + 15 s

        Assert.Empty(b.ClaimExpiredJobs(T0.AddSeconds(14), 10));
        var claimed = Assert.Single(b.ClaimExpiredJobs(T0.AddSeconds(16), 10));

        Assert.Equal((job, JobState.Queued, 0L, null, null), (claimed.Id, claimed.State, claimed.BytesDone, claimed.TempFile, claimed.Validator));
        Assert.Empty(b.ClaimExpiredJobs(T0.AddSeconds(17), 10));
        Assert.DoesNotContain(job, a.RenewLeases(T0.AddSeconds(17)));
        Assert.Empty(a.ListCheckpointFiles());
        Assert.False(a.MarkJobRunning(job, T0.AddSeconds(17)));
        Assert.True(b.MarkJobRunning(job, T0.AddSeconds(17)));
        a.SaveJobProgress(job, 99, 100, T0.AddSeconds(18));
        Assert.Equal(0, b.FindJob(job)!.BytesDone);
        Assert.Equal([job], b.RenewLeases(T0.AddSeconds(18)));
    }

    [SkippableFact]
    public void RenewLeases_KeepsJobsFromBeingClaimed()
    {
        var a = OpenHost("a", TimeSpan.FromSeconds(10));
        var b = OpenHost("b", TimeSpan.FromSeconds(10));
        var job = a.CreateJob("http://h/a", "http://h/a", T0)!.Value;

        Assert.Equal([job], a.RenewLeases(T0.AddSeconds(8)));

        Assert.Empty(b.ClaimExpiredJobs(T0.AddSeconds(15), 10));
        Assert.Single(b.ClaimExpiredJobs(T0.AddSeconds(19), 10));
    }

    [SkippableFact]
    public void ClaimExpiredJobs_TwoHostsAtOnce_TakeDisjointSets()
    {
        var origin = OpenHost("dead", TimeSpan.FromSeconds(1));
        var created = Enumerable.Range(0, 60).Select(i => origin.CreateJob($"http://h/{i}", $"http://h/{i}", T0)!.Value).ToHashSet();
        var b = OpenHost("b");
        var c = OpenHost("c");
        var now = T0.AddMinutes(1);

        var claims = new[] { b, c }.AsParallel().WithDegreeOfParallelism(2).Select(host =>
        {
            var mine = new List<long>();
            for (var round = 0; round < 20; round++)
            {
                mine.AddRange(host.ClaimExpiredJobs(now, 3).Select(j => j.Id));
            }

            return mine;
        }).ToList();

        Assert.Empty(claims[0].Intersect(claims[1]));
        Assert.Equal(created.Order(), claims[0].Concat(claims[1]).Order());
        Assert.Equal(claims[0].Count, claims[0].Distinct().Count());
    }

    [SkippableFact]
    public void MarkJobRunning_NotTheLeaseOwner_Fails()
    {
        var a = OpenHost("a");
        var b = OpenHost("b");
        var job = a.CreateJob("http://h/a", "http://h/a", T0)!.Value;

        Assert.False(b.MarkJobRunning(job, T0));
        Assert.Equal(JobState.Queued, a.FindJob(job)!.State);
        Assert.True(a.MarkJobRunning(job, T0));
    }

    [SkippableFact]
    public void FinishJob_CancelledOnAnotherHost_DroppedFromOwnersLeases()
    {
        var a = OpenHost("a");
        var b = OpenHost("b");
        var running = a.CreateJob("http://h/a", "http://h/a", T0)!.Value;
        var other = a.CreateJob("http://h/b", "http://h/b", T0)!.Value;
        a.MarkJobRunning(running, T0);

        b.FinishJob(running, JobState.Cancelled, "cancelled by operator", permanent: false, T0.AddSeconds(1));

        Assert.Equal([other], a.RenewLeases(T0.AddSeconds(2)));
        Assert.Equal(JobState.Cancelled, a.FindJob(running)!.State);
    }

    [SkippableFact]
    public void RequeueInterruptedJobs_OnlyThisHostsJobs()
    {
        var a = OpenHost("a");
        var b = OpenHost("b");
        var mine = a.CreateJob("http://h/a", "http://h/a", T0)!.Value;
        var theirs = b.CreateJob("http://h/b", "http://h/b", T0)!.Value;
        a.MarkJobRunning(mine, T0);
        b.MarkJobRunning(theirs, T0);

        var requeued = a.RequeueInterruptedJobs(T0.AddSeconds(1));

        Assert.Equal([mine], requeued.Select(j => j.Id));
        Assert.Equal(JobState.Running, a.FindJob(theirs)!.State);
        Assert.Equal([theirs], b.RenewLeases(T0.AddSeconds(2)));
        Assert.Equal([mine], a.RenewLeases(T0.AddSeconds(2)));
    }

    [SkippableFact]
    public void RestartedHost_SameHostId_TakesItsJobsBackAtOnce()
    {
        var before = OpenHost("a");
        var job = before.CreateJob("http://h/a", "http://h/a", T0)!.Value;
        before.MarkJobRunning(job, T0);
        before.CheckpointJob(job, "tmp/a.part", 10, 20, "\"v\"", T0);
        before.Dispose();

        var after = OpenHost("a");

        Assert.Equal(["tmp/a.part"], after.ListCheckpointFiles());
        var resumed = Assert.Single(after.RequeueInterruptedJobs(T0.AddSeconds(1)));
        Assert.Equal((job, 10L, "tmp/a.part"), (resumed.Id, resumed.BytesDone, resumed.TempFile));
        Assert.True(after.MarkJobRunning(job, T0.AddSeconds(1)));
    }

    [SkippableFact]
    public void TryReserve_TwoHostsAtOnce_NeverExceedTheCap()
    {
        var a = OpenHost("a");
        var b = OpenHost("b");
        var jobs = Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? a : b).CreateJob($"http://h/{i}", $"http://h/{i}", T0)!.Value).ToList();

        var admitted = jobs.AsParallel().WithDegreeOfParallelism(8)
            .Count(job => (job % 2 == 0 ? a : b).TryReserve(job, 100, 1_000) is null);

        Assert.Equal(10, admitted);
        Assert.Equal(1_000, a.ReservedBytes());
        Assert.Equal(1_000, b.ReservedBytes());
    }

    [SkippableFact]
    public void Capacity_ReserveCommitCompleteRelease_Bookkeeping()
    {
        var a = OpenHost("a");
        var b = OpenHost("b");
        var first = a.CreateJob("http://h/1", "http://h/1", T0)!.Value;
        var second = b.CreateJob("http://h/2", "http://h/2", T0)!.Value;

        Assert.Null(a.TryReserve(first, 600, 1_000));
        Assert.Equal("cache full: needs 500 B, 400 B of 1000 B free", b.TryReserve(second, 500, 1_000));
        Assert.Equal(600, b.ReservedBytes());
        Assert.Null(a.TryReserve(first, 300, 1_000)); // replaces its own earlier reservation
        Assert.Null(b.TryReserve(second, 500, 1_000));
        Assert.Equal(800, a.ReservedBytes());

        // A fill no larger than its reservation always commits; the reservation becomes its size until CompleteFill.
        Assert.Null(a.TryCommit(first, 250, newBlob: true, 1_000));
        Assert.Equal(750, a.ReservedBytes());
        a.CompleteFill(first, "http://h/1", "http://h/1", ContentDigest.Parse(new string('1', 64)), 250, T0);
        Assert.Equal(500, a.ReservedBytes());
        Assert.Equal(250, a.StoredBytes());

        // Larger than reserved: checked against what is left (1000 - 250 stored).
        Assert.Equal("cache full: the download was 800 B and does not fit in 1000 B", b.TryCommit(second, 800, newBlob: true, 1_000));
        Assert.Equal(0, b.ReservedBytes());
        Assert.Null(b.TryCommit(second, 700, newBlob: true, 1_000));
        Assert.Equal(700, b.ReservedBytes());
        b.Release(second);
        Assert.Equal(0, b.ReservedBytes());

        // Bytes stored already always fit and hold nothing; a finished job's reservation is gone.
        var third = b.CreateJob("http://h/3", "http://h/3", T0)!.Value;
        Assert.Null(b.TryReserve(third, 700, 1_000));
        Assert.Null(b.TryCommit(third, 250, newBlob: false, 1));
        Assert.Equal(0, b.ReservedBytes());
        Assert.Null(b.TryReserve(third, 700, 1_000));
        b.FinishJob(third, JobState.Failed, "reset", permanent: false, T0);
        Assert.Equal(0, a.ReservedBytes());
    }

    [Fact]
    public void Open_ClosedPort_UnavailableWithoutThePassword()
    {
        var options = new ServerOptions { Catalog = "Host=127.0.0.1;Port=1;Username=postgres;Password=secret-xyz;Database=withcache" };

        var error = Assert.Throws<CatalogUnavailableException>(() => new PostgresCatalog(Options.Create(options), NullLogger<PostgresCatalog>.Instance));

        Assert.Contains("127.0.0.1:1/withcache", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-xyz", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Password", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Open_ClosedPortUrl_UnavailableWithoutThePassword()
    {
        var options = new ServerOptions { Catalog = "postgres://postgres:secret-xyz@127.0.0.1:1/withcache" };

        var error = Assert.Throws<CatalogUnavailableException>(() => new PostgresCatalog(Options.Create(options), NullLogger<PostgresCatalog>.Instance));

        Assert.DoesNotContain("secret-xyz", error.ToString(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void ConnectionKilled_UnavailableOnceThenBack()
    {
        var catalog = OpenHost("a");
        catalog.Ping();

        Sql($"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '{_schema}'", Server!);
        var error = Record.Exception(() => catalog.FindArtifact("http://h/a"));

        Assert.True(error is null or CatalogUnavailableException, error?.ToString());
        Assert.Null(catalog.FindArtifact("http://h/a"));
    }

    [SkippableFact]
    public async Task ConnectionKilled_AsyncLookUpUnavailableOnceThenBack()
    {
        var catalog = OpenHost("a");
        Assert.Null(await catalog.FindArtifactAsync("http://h/a", TimeSpan.FromSeconds(5), CancellationToken.None));

        Sql($"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '{_schema}'", Server!);
        var error = await Record.ExceptionAsync(async () => await catalog.FindArtifactAsync("http://h/a", TimeSpan.FromSeconds(5), CancellationToken.None));

        Assert.True(error is null or CatalogUnavailableException, error?.ToString());
        Assert.Null(await catalog.FindArtifactAsync("http://h/a", TimeSpan.FromSeconds(5), CancellationToken.None));
    }

    [SkippableFact]
    public async Task AsyncLookUp_TableLockedLongerThanTheTimeout_UnavailableInTime_ThenAnswersOnceReleased()
    {
        var catalog = OpenHost("a");
        Assert.Null(await catalog.FindArtifactAsync("http://h/a", TimeSpan.FromSeconds(5), CancellationToken.None));

        // A migration or a manual ALTER on another connection: the look-up waits on the lock, then its query is cancelled.
        await using (var locker = new NpgsqlConnection(ConnectionString))
        {
            await locker.OpenAsync();
            await using var transaction = await locker.BeginTransactionAsync();
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE artifacts IN ACCESS EXCLUSIVE MODE", locker, transaction))
            {
                await lockTable.ExecuteNonQueryAsync();
            }

            var clock = System.Diagnostics.Stopwatch.StartNew();
            var error = await Record.ExceptionAsync(async () => await catalog.FindArtifactAsync("http://h/a", TimeSpan.FromMilliseconds(500), CancellationToken.None));
            clock.Stop();

            var unavailable = Assert.IsType<CatalogUnavailableException>(error);
            Assert.Contains("did not answer within 0.5 s", unavailable.Message, StringComparison.Ordinal);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the look-up took {clock.Elapsed}");
        }

        Assert.Null(await catalog.FindArtifactAsync("http://h/a", TimeSpan.FromSeconds(5), CancellationToken.None));
    }

    [SkippableFact]
    public void Open_RoleWithoutCreatePrivilege_UsesTheMigratedSchema()
    {
        OpenHost("a");
        var role = _schema + "_user";
        Sql($"CREATE ROLE \"{role}\" LOGIN; GRANT USAGE ON SCHEMA \"{_schema}\" TO \"{role}\"; "
            + $"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA \"{_schema}\" TO \"{role}\"", Server!);
        try
        {
            var options = new ServerOptions { Catalog = $"{ConnectionString};Username={role}", HostId = "b" };
            using var limited = new PostgresCatalog(Options.Create(options), NullLogger<PostgresCatalog>.Instance);

            Assert.Equal(1, limited.UserVersion);
            Assert.NotNull(limited.CreateJob("http://h/a", "http://h/a", T0));
        }
        finally
        {
            Sql($"DROP OWNED BY \"{role}\"; DROP ROLE \"{role}\"", Server!);
        }
    }

    [SkippableFact]
    public async Task CreateJob_WhileAnotherHostCommitsTheFill_WaitsForItAndCreatesNothing()
    {
        // The CI failure of session 3: host B looked the key up (no row), then host A committed its fill, then B's
        // insert ran. Here A's commit is held open in the middle: B's insert must wait on A's job row and, once A
        // commits, see the artifact and create no job.
        var a = OpenHost("a");
        var b = OpenHost("b");
        var job = a.CreateJob("http://h/race", "http://h/race", T0)!.Value;
        Assert.Null(b.FindArtifact("http://h/race"));

        await using var fill = new NpgsqlConnection(ConnectionString);
        await fill.OpenAsync();
        await using var transaction = await fill.BeginTransactionAsync();
        await using (var commit = new NpgsqlCommand($"""
            INSERT INTO artifacts(key, origin, digest, size, fetched_at, hits, misses_before)
            VALUES('http://h/race', 'http://h/race', '{new string('f', 64)}', 5, 0, 0, 0);
            UPDATE jobs SET state = 'completed', reserved_bytes = 0 WHERE id = {job};
            """, fill, transaction))
        {
            await commit.ExecuteNonQueryAsync();
        }

        var create = Task.Run(() => b.CreateJob("http://h/race", "http://h/race", T0));
        await Task.Delay(500);
        Assert.False(create.IsCompleted, "B's insert did not wait for A's open transaction");
        await transaction.CommitAsync();

        Assert.Null(await create.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal([job], a.ListJobs(new ListQuery(Sort: "id")).Select(j => j.Id));
        Assert.NotNull(b.FindArtifact("http://h/race"));
    }

    [SkippableFact]
    public void SqlError_IsABug_NotUnavailable()
    {
        var catalog = OpenHost("a");
        catalog.CreateSession("s", T0, T0.AddHours(1));

        Assert.Throws<PostgresException>(() => catalog.CreateSession("s", T0, T0.AddHours(1)));
    }

    private protected override ICacheCatalog Open(int maxJobs = 100_000) => OpenHost("host-a", maxJobs: maxJobs);

    private PostgresCatalog OpenHost(string hostId, TimeSpan? lease = null, int maxJobs = 100_000)
    {
        Skip.If(Server is null, SkipReason);
        var options = new ServerOptions { Catalog = ConnectionString, HostId = hostId, JobLease = lease ?? TimeSpan.FromSeconds(30), MaxJobs = maxJobs };
        var catalog = new PostgresCatalog(Options.Create(options), NullLogger<PostgresCatalog>.Instance);
        _opened.Add(catalog);
        return catalog;
    }

    private object? Sql(string sql, string? connectionString = null)
    {
        using var connection = new NpgsqlConnection(connectionString ?? ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        return command.ExecuteScalar();
    }

    protected override void Dispose(bool disposing)
    {
        foreach (var catalog in _opened)
        {
            catalog.Dispose();
        }

        if (Server is not null)
        {
            using var connection = new NpgsqlConnection(Server);
            connection.Open();
            using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE", connection);
            command.ExecuteNonQuery();
        }

        base.Dispose(disposing);
    }
}
