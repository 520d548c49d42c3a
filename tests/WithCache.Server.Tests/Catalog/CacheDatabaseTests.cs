using Microsoft.Extensions.Options;
using WithCache.Server.Blobs;
using WithCache.Server.Catalog;
using WithCache.Server.Hosting;
using WithCache.Server.Tests.TestSupport;

namespace WithCache.Server.Tests.Catalog;

public sealed class CacheDatabaseTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Open_NewFile_MigratesToCurrentSchemaInWal()
    {
        var database = Open();

        Assert.Equal(4, database.UserVersion);
        Assert.True(File.Exists(Path.Combine(_dir.Path, "cache.db")));
        Assert.Equal(4, Open().UserVersion);
    }

    [Fact]
    public void RecordMisses_BeyondCap_DropsLeastRecentlySeen()
    {
        var database = Open();
        var start = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var deltas = Enumerable.Range(0, 150)
            .Select(i => new MissDelta($"http://h/{i}", $"http://h/{i}", 1, start.AddSeconds(i), start.AddSeconds(i)))
            .ToList();

        database.RecordMisses(deltas, cap: 100);

        Assert.Equal(100, database.CountMisses());
        Assert.Null(database.FindMiss("http://h/0"));
        Assert.Null(database.FindMiss("http://h/49"));
        Assert.NotNull(database.FindMiss("http://h/50"));
        Assert.NotNull(database.FindMiss("http://h/149"));
    }

    [Fact]
    public void RecordMisses_SameKeyTwice_AddsCountsKeepsFirstSeen()
    {
        var database = Open();
        var t0 = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

        database.RecordMisses([new MissDelta("http://h/a", "http://h/a?x=1", 2, t0, t0)], 100);
        database.RecordMisses([new MissDelta("http://h/a", "http://h/a?x=2", 3, t0.AddHours(1), t0.AddHours(2))], 100);

        var miss = database.FindMiss("http://h/a")!;
        Assert.Equal(5, miss.Count);
        Assert.Equal(t0, miss.FirstSeen);
        Assert.Equal(t0.AddHours(2), miss.LastSeen);
    }

    [Fact]
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

    [Fact]
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
        Assert.Equal(JobState.Completed, database.FindJob(job)!.State);
    }

    [Fact]
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

    [Fact]
    public void FinishJob_BeyondMaxJobs_DropsOldestFinishedKeepsActive()
    {
        var database = new CacheDatabase(Options.Create(new ServerOptions { DataDir = _dir.Path, MaxJobs = 100 }));
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

    private CacheDatabase Open() => new(Options.Create(new ServerOptions { DataDir = _dir.Path }));
}
