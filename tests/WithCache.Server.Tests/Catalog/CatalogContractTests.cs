using WithCache.Server.Blobs;
using WithCache.Server.Catalog;

namespace WithCache.Server.Tests.Catalog;

/// <summary>
/// What every <see cref="ICacheCatalog"/> must do, run once per implementation by a sealed subclass that says how to
/// open a fresh, empty catalog. Tests of one implementation's own behaviour live in that subclass.
/// </summary>
public abstract class CatalogContractTests : IDisposable
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    /// <summary>The schema version a fresh catalog of this kind migrates to.</summary>
    private protected abstract int CurrentVersion { get; }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>A catalog on this test's fresh store; a second call opens the same store again.</summary>
    private protected abstract ICacheCatalog Open(int maxJobs = 100_000);

    protected virtual void Dispose(bool disposing)
    {
    }

    [SkippableFact]
    public void Open_NewCatalog_MigratesToCurrentVersionOnce()
    {
        var catalog = Open();

        Assert.Equal(CurrentVersion, catalog.UserVersion);
        Assert.Equal(CurrentVersion, Open().UserVersion);
        catalog.Ping();
    }

    [SkippableFact]
    public void RecordMisses_BeyondCap_DropsLeastRecentlySeen()
    {
        var database = Open();
        var deltas = Enumerable.Range(0, 150)
            .Select(i => new MissDelta($"http://h/{i}", $"http://h/{i}", 1, T0.AddSeconds(i), T0.AddSeconds(i)))
            .ToList();

        database.RecordMisses(deltas, cap: 100);

        Assert.Equal(100, database.CountMisses());
        Assert.Null(database.FindMiss("http://h/0"));
        Assert.Null(database.FindMiss("http://h/49"));
        Assert.NotNull(database.FindMiss("http://h/50"));
        Assert.NotNull(database.FindMiss("http://h/149"));
    }

    [SkippableFact]
    public void RecordMisses_SameKeyTwice_AddsCountsKeepsFirstSeen()
    {
        var database = Open();

        database.RecordMisses([new MissDelta("http://h/a", "http://h/a?x=1", 2, T0, T0)], 100);
        database.RecordMisses([new MissDelta("http://h/a", "http://h/a?x=2", 3, T0.AddHours(1), T0.AddHours(2))], 100);

        var miss = database.FindMiss("http://h/a")!;
        Assert.Equal(5, miss.Count);
        Assert.Equal("http://h/a?x=1", miss.Origin);
        Assert.Equal(T0, miss.FirstSeen);
        Assert.Equal(T0.AddHours(2), miss.LastSeen);
    }

    [SkippableFact]
    public void RecordMisses_SameKeyTwiceInOneBatch_AddsCountsKeepsFirstOrigin()
    {
        var database = Open();

        database.RecordMisses(
            [new MissDelta("http://h/a", "http://h/a?x=1", 2, T0, T0.AddHours(3)), new MissDelta("http://h/a", "http://h/a?x=2", 3, T0.AddHours(1), T0.AddHours(2))], 100);

        var miss = database.FindMiss("http://h/a")!;
        Assert.Equal(5, miss.Count);
        Assert.Equal("http://h/a?x=1", miss.Origin);
        Assert.Equal(T0, miss.FirstSeen);
        Assert.Equal(T0.AddHours(3), miss.LastSeen);
    }

    [SkippableFact]
    public void CreateJob_SecondActiveJobForKey_Refused()
    {
        var database = Open();
        var now = DateTimeOffset.UtcNow;

        var first = database.CreateJob("http://h/a", "http://h/a", now);
        var second = database.CreateJob("http://h/a", "http://h/a", now);
        database.FinishJob(first!.Value, JobState.Failed, "origin answered 404", permanent: true, now);
        var third = database.CreateJob("http://h/a", "http://h/a", now);

        Assert.NotNull(first);
        Assert.Null(second);
        Assert.NotNull(third);
        Assert.Single(database.ListPermanentFailures());
    }

    [SkippableFact]
    public void CreateJob_KeyCachedSinceTheCallerLookedItUp_RefusedAndNoJobLeft()
    {
        var database = Open();
        var now = DateTimeOffset.UtcNow;
        var digest = ContentDigest.Parse(new string('c', 64));
        var fill = database.CreateJob("http://h/a", "http://h/a", now)!.Value;
        database.CompleteFill(fill, "http://h/a", "http://h/a", digest, 7, now);

        var again = database.CreateJob("http://h/a", "http://h/a", now);
        var other = database.CreateJob("http://h/b", "http://h/b", now);

        Assert.Null(again);
        Assert.NotNull(other);
        Assert.Equal([fill, other.Value], database.ListJobs(new ListQuery(Sort: "id")).Select(j => j.Id).Order());
    }

    [SkippableFact]
    public void FindPermanentFailures_OneKey_CountsFailuresForGoodSinceItsLastSuccess()
    {
        var database = Open();
        var digest = ContentDigest.Parse(new string('e', 64));
        Assert.Null(database.FindPermanentFailures("http://h/a"));

        database.FinishJob(database.CreateJob("http://h/a", "http://h/a", T0)!.Value, JobState.Failed, "404", permanent: true, T0);
        database.CompleteFill(database.CreateJob("http://h/a", "http://h/a", T0)!.Value, "http://h/a", "http://h/a", digest, 1, T0);
        Assert.Null(database.FindPermanentFailures("http://h/a"));

        database.DeleteArtifact("http://h/a");
        database.FinishJob(database.CreateJob("http://h/a", "http://h/a", T0)!.Value, JobState.Failed, "reset", permanent: false, T0.AddMinutes(1));
        for (var i = 2; i <= 3; i++)
        {
            database.FinishJob(database.CreateJob("http://h/a", "http://h/a", T0)!.Value, JobState.Failed, "404", permanent: true, T0.AddMinutes(i));
        }

        database.FinishJob(database.CreateJob("http://h/b", "http://h/b", T0)!.Value, JobState.Failed, "403", permanent: true, T0);

        Assert.Equal((2, T0.AddMinutes(3)), database.FindPermanentFailures("http://h/a"));
        Assert.Equal((1, T0), database.FindPermanentFailures("http://h/b"));
        Assert.Null(database.FindPermanentFailures("http://h/c"));
    }

    [SkippableFact]
    public void ListPermanentFailures_CountsFailuresSinceLastSuccess()
    {
        var database = Open();
        var digest = ContentDigest.Parse(new string('a', 64));
        var failed = database.CreateJob("http://h/a", "http://h/a", T0)!.Value;
        database.FinishJob(failed, JobState.Failed, "404", permanent: true, T0);
        var completed = database.CreateJob("http://h/a", "http://h/a", T0)!.Value;
        database.CompleteFill(completed, "http://h/a", "http://h/a", digest, 1, T0);
        database.DeleteArtifact("http://h/a"); // an operator deleted it; the next misses fetch it again and fail
        for (var i = 1; i <= 2; i++)
        {
            var again = database.CreateJob("http://h/a", "http://h/a", T0)!.Value;
            database.FinishJob(again, JobState.Failed, "404", permanent: true, T0.AddMinutes(i));
        }

        var transient = database.CreateJob("http://h/b", "http://h/b", T0)!.Value;
        database.FinishJob(transient, JobState.Failed, "reset", permanent: false, T0);

        var failure = Assert.Single(database.ListPermanentFailures());
        Assert.Equal(("http://h/a", 2, T0.AddMinutes(2)), failure);
    }

    [SkippableFact]
    public async Task FindArtifactAsync_AnswersAsFindArtifactDoes_BeforeAfterFillAndAfterDelete()
    {
        var database = Open();
        var now = DateTimeOffset.UtcNow;
        var digest = ContentDigest.Parse(new string('d', 64));

        Assert.Null(await database.FindArtifactAsync("http://h/a", TimeSpan.FromSeconds(5), CancellationToken.None));
        database.CompleteFill(database.CreateJob("http://h/a", "http://h/a?x=1", now)!.Value, "http://h/a", "http://h/a?x=1", digest, 42, now);
        var found = await database.FindArtifactAsync("http://h/a", TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.Equal(database.FindArtifact("http://h/a"), found);
        Assert.Equal(("http://h/a?x=1", digest, 42L), (found!.Origin, found.Digest, found.Size));
        Assert.Null(await database.FindArtifactAsync("http://h/b", TimeSpan.FromSeconds(5), CancellationToken.None));
        database.DeleteArtifact("http://h/a");
        Assert.Null(await database.FindArtifactAsync("http://h/a", TimeSpan.FromSeconds(5), CancellationToken.None));
    }

    [SkippableFact]
    public void CompleteFill_WithMisses_CarriesMissCountAndRemovesMiss()
    {
        var database = Open();
        var now = DateTimeOffset.UtcNow;
        database.RecordMisses([new MissDelta("http://h/a", "http://h/a", 7, now, now)], 100);
        var job = database.CreateJob("http://h/a", "http://h/a", now)!.Value;
        var digest = ContentDigest.Parse(new string('a', 64));

        database.CompleteFill(job, "http://h/a", "http://h/a", digest, 42, now);

        var artifact = database.FindArtifact("http://h/a")!;
        Assert.Equal(7, artifact.MissesBefore);
        Assert.Equal(42, artifact.Size);
        Assert.Null(database.FindMiss("http://h/a"));
        var finished = database.FindJob(job)!;
        Assert.Equal(JobState.Completed, finished.State);
        Assert.Equal(42, finished.BytesDone);
    }

    [SkippableFact]
    public void RecordMisses_KeyCachedMeanwhile_NoMissRowComesBack()
    {
        var database = Open();
        var now = DateTimeOffset.UtcNow;
        var job = database.CreateJob("http://h/a", "http://h/a", now)!.Value;
        database.CompleteFill(job, "http://h/a", "http://h/a", ContentDigest.Parse(new string('a', 64)), 42, now);

        // A request that looked the key up just before the commit counts its miss after it.
        database.RecordMisses([new MissDelta("http://h/a", "http://h/a", 1, now, now), new MissDelta("http://h/b", "http://h/b", 1, now, now)], 100);

        Assert.Null(database.FindMiss("http://h/a"));
        Assert.NotNull(database.FindMiss("http://h/b"));
    }

    [SkippableFact]
    public void FinishJob_BeyondMaxJobs_DropsOldestFinishedKeepsActive()
    {
        var database = Open(maxJobs: 100);
        var now = DateTimeOffset.UtcNow;
        var stillQueued = database.CreateJob("http://h/queued", "http://h/queued", now)!.Value;
        var ids = new List<long>();
        for (var i = 0; i < 250; i++)
        {
            var id = database.CreateJob($"http://h/{i}", $"http://h/{i}", now)!.Value;
            database.FinishJob(id, JobState.Failed, "404", permanent: true, now);
            ids.Add(id);
        }

        var kept = database.ListJobs(new ListQuery(Limit: 500)).Select(j => j.Id).ToHashSet();
        Assert.Contains(stillQueued, kept);
        Assert.DoesNotContain(ids[0], kept);
        Assert.Contains(ids[^1], kept);
        Assert.InRange(kept.Count, 100, 102);
    }

    [SkippableFact]
    public void ListArtifacts_SortedByKey_BinaryOrderAndSubstringFilter()
    {
        var database = Open();
        string[] keys = ["http://h/b", "http://h/B", "http://h/a", "http://h/Z", "http://h/\u00e9", "http://h/_x", "http://h/a%2F"];
        foreach (var key in keys)
        {
            Fill(database, key, new string('c', 64), 10);
        }

        var ascending = database.ListArtifacts(new ListQuery(Sort: "key", Ascending: true)).Select(a => a.Key).ToList();
        var descending = database.ListArtifacts(new ListQuery(Sort: "key")).Select(a => a.Key).ToList();
        var filtered = database.ListArtifacts(new ListQuery(Sort: "key", Ascending: true, Filter: "/a")).Select(a => a.Key).ToList();

        Assert.Equal(keys.Order(StringComparer.Ordinal), ascending);
        Assert.Equal(keys.OrderDescending(StringComparer.Ordinal), descending);
        Assert.Equal(["http://h/a", "http://h/a%2F"], filtered);
        Assert.Equal(2, database.CountArtifacts("/a"));
        Assert.Equal(1, database.CountArtifacts("_x"));
        Assert.Equal(0, database.CountArtifacts("_y"));
        Assert.Equal(0, database.CountArtifacts("h/%"));
        Assert.Equal(keys.Length, database.CountArtifacts("  "));
    }

    [SkippableFact]
    public void ListArtifacts_SortedBySizeAndHits_TiesByKeyPaged()
    {
        var database = Open();
        Fill(database, "http://h/1", new string('1', 64), 30);
        Fill(database, "http://h/2", new string('2', 64), 10);
        Fill(database, "http://h/3", new string('3', 64), 30);
        database.AddHits(new Dictionary<string, long> { ["http://h/2"] = 5, ["http://h/3"] = 1, ["http://h/missing"] = 9 }, T0);

        Assert.Equal(["http://h/1", "http://h/3", "http://h/2"], database.ListArtifacts(new ListQuery(Sort: "size")).Select(a => a.Key));
        Assert.Equal(["http://h/3", "http://h/2"], database.ListArtifacts(new ListQuery(Offset: 1, Limit: 2, Sort: "size")).Select(a => a.Key));
        Assert.Equal(["http://h/2", "http://h/3", "http://h/1"], database.ListArtifacts(new ListQuery(Sort: "hits")).Select(a => a.Key));
        Assert.Equal(5, database.FindArtifact("http://h/2")!.Hits);
        Assert.Equal(70, database.StoredBytes());
        Assert.Equal(3, database.ListDigests().Count);
    }

    [SkippableFact]
    public void DeleteArtifact_SharedBlob_StillUsedUntilLastKeyGoes()
    {
        var database = Open();
        var hex = new string('d', 64);
        Fill(database, "http://h/a", hex, 5);
        Fill(database, "http://h/b", hex, 5);

        Assert.Equal(5, database.StoredBytes());
        Assert.Equal((ContentDigest.Parse(hex), 5L, true), database.DeleteArtifact("http://h/a"));
        Assert.Null(database.FindArtifact("http://h/a"));
        Assert.Equal((ContentDigest.Parse(hex), 5L, false), database.DeleteArtifact("http://h/b"));
        Assert.Null(database.DeleteArtifact("http://h/b"));
        Assert.Equal(0, database.StoredBytes());
    }

    [SkippableFact]
    public void DeleteArtifactsWithDigest_DropsEveryKeyOfTheBlob()
    {
        var database = Open();
        Fill(database, "http://h/a", new string('e', 64), 5);
        Fill(database, "http://h/b", new string('e', 64), 5);
        Fill(database, "http://h/c", new string('f', 64), 5);

        Assert.Equal(2, database.DeleteArtifactsWithDigest(ContentDigest.Parse(new string('e', 64))));
        Assert.Equal(1, database.CountArtifacts());
        Assert.NotNull(database.FindArtifact("http://h/c"));
    }

    [SkippableFact]
    public void ListMisses_SortsAndFiltersDeletes()
    {
        var database = Open();
        database.RecordMisses(
        [
            new MissDelta("http://h/x", "http://h/x", 3, T0, T0.AddSeconds(1)),
            new MissDelta("http://h/y", "http://h/y", 9, T0.AddSeconds(2), T0.AddSeconds(2)),
            new MissDelta("http://g/z", "http://g/z", 1, T0.AddSeconds(3), T0.AddSeconds(3)),
        ], 100);

        Assert.Equal(["http://g/z", "http://h/y", "http://h/x"], database.ListMisses(new ListQuery()).Select(m => m.Key));
        Assert.Equal(["http://h/y", "http://h/x", "http://g/z"], database.ListMisses(new ListQuery(Sort: "count")).Select(m => m.Key));
        Assert.Equal(["http://h/x", "http://h/y"], database.ListMisses(new ListQuery(Sort: "first", Ascending: true, Filter: "h/")).Select(m => m.Key));
        Assert.Equal(2, database.CountMisses("h/"));
        Assert.True(database.DeleteMiss("http://h/x"));
        Assert.False(database.DeleteMiss("http://h/x"));
        Assert.Equal(2, database.CountMisses());
    }

    [SkippableFact]
    public void ListJobs_RunningThenQueuedThenFinished_NewestFirst()
    {
        var database = Open();
        var a = database.CreateJob("http://h/a", "http://h/a", T0)!.Value;
        var b = database.CreateJob("http://h/b", "http://h/b", T0)!.Value;
        var c = database.CreateJob("http://h/c", "http://h/c", T0)!.Value;
        var d = database.CreateJob("http://h/d", "http://h/d", T0)!.Value;
        Assert.True(database.MarkJobRunning(b, T0));
        Assert.False(database.MarkJobRunning(b, T0));
        database.FinishJob(d, JobState.Cancelled, "operator", permanent: false, T0);

        Assert.Equal([b, c, a, d], database.ListJobs(new ListQuery()).Select(j => j.Id));
        Assert.Equal([a, b, c, d], database.ListJobs(new ListQuery(Sort: "id", Ascending: true)).Select(j => j.Id));
        Assert.Equal([c], database.ListJobs(new ListQuery(Filter: "/c")).Select(j => j.Id));
        Assert.Equal(JobState.Cancelled, database.FindJob(d)!.State);
        Assert.Equal("operator", database.FindJob(d)!.Reason);
        Assert.Null(database.FindJob(d + 1000));
        Assert.Equal(1, database.ClearFinishedJobs());
    }

    [SkippableFact]
    public void RequeueInterruptedJobs_RunningGoBackToQueued_CheckpointKept()
    {
        var database = Open();
        var resumable = database.CreateJob("http://h/a", "http://h/a", T0)!.Value;
        var plain = database.CreateJob("http://h/b", "http://h/b", T0)!.Value;
        var queued = database.CreateJob("http://h/c", "http://h/c", T0)!.Value;
        database.MarkJobRunning(resumable, T0);
        database.MarkJobRunning(plain, T0);
        database.SaveJobProgress(plain, 50, 100, T0);
        database.CheckpointJob(resumable, "tmp/abc.part", 70, 100, "\"etag\"", T0);

        Assert.Equal(["tmp/abc.part"], database.ListCheckpointFiles());
        Assert.Equal([resumable, plain, queued], database.RenewLeases(T0.AddSeconds(1)).Order());

        var jobs = database.RequeueInterruptedJobs(T0.AddMinutes(1));

        Assert.Equal([resumable, plain, queued], jobs.Select(j => j.Id));
        Assert.All(jobs, j => Assert.Equal(JobState.Queued, j.State));
        Assert.Equal((70L, "tmp/abc.part", "\"etag\""), (jobs[0].BytesDone, jobs[0].TempFile, jobs[0].Validator));
        Assert.Equal(0, jobs[1].BytesDone);
        Assert.Equal(100, jobs[1].BytesTotal);
        database.FinishJob(resumable, JobState.Failed, "gone", permanent: false, T0);
        Assert.Empty(database.ListCheckpointFiles());
    }

    [SkippableFact]
    public void Sessions_CreateRevokeExpire()
    {
        var database = Open();
        database.CreateSession("s1", T0, T0.AddHours(1));
        database.CreateSession("s2", T0, T0.AddHours(1));

        database.RevokeSession("s2");

        Assert.True(database.IsSessionActive("s1", T0.AddMinutes(1)));
        Assert.False(database.IsSessionActive("s1", T0.AddHours(2)));
        Assert.False(database.IsSessionActive("s2", T0.AddMinutes(1)));
        Assert.False(database.IsSessionActive("nope", T0));
    }

    [SkippableFact]
    public void RecordEvent_BeyondCap_DropsOldest_ListsNewestFirstFiltered()
    {
        var database = Open();
        for (var i = 0; i < 12; i++)
        {
            database.RecordEvent(T0.AddSeconds(i), i % 2 == 0 ? "operator" : "api:ci", "delete", $"http://h/{i}", "", cap: 10);
        }

        var events = database.ListEvents(new ListQuery(Limit: 100));
        Assert.Equal(10, events.Count);
        Assert.Equal("http://h/11", events[0].Subject);
        Assert.Equal(T0.AddSeconds(11), events[0].At);
        Assert.Equal(10, database.CountEvents());
        Assert.Equal(5, database.CountEvents("api:"));
        Assert.Equal(["http://h/10", "http://h/8"], database.ListEvents(new ListQuery(Limit: 2, Filter: "operator")).Select(e => e.Subject));
        Assert.Equal(1, database.CountEvents("h/11"));
    }

    [SkippableFact]
    public void ApiTokens_OneActivePerName_RevokeFreesTheName()
    {
        var database = Open();
        var first = database.CreateApiToken("ci", "hash1", T0);

        Assert.NotNull(first);
        Assert.Null(database.CreateApiToken("ci", "hash2", T0));
        Assert.Equal("ci", database.RevokeApiToken(first.Value));
        Assert.Null(database.RevokeApiToken(first.Value));
        var second = database.CreateApiToken("ci", "hash3", T0.AddMinutes(1));
        database.TouchApiToken(second!.Value, T0.AddMinutes(2));

        Assert.Equal([second.Value, first.Value], database.ListApiTokens().Select(t => t.Id));
        var active = Assert.Single(database.ListActiveApiTokens());
        Assert.Equal(("ci", "hash3", T0.AddMinutes(2), false), (active.Name, active.Hash, active.LastUsedAt!.Value, active.Revoked));
        Assert.True(database.ListApiTokens()[1].Revoked);
    }

    private static void Fill(ICacheCatalog database, string key, string hex, long size)
    {
        var job = database.CreateJob(key, key, T0)!.Value;
        database.CompleteFill(job, key, key, ContentDigest.Parse(hex), size, T0);
    }
}
