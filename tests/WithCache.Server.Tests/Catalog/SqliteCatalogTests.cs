using Microsoft.Extensions.Options;
using WithCache.Server.Catalog;
using WithCache.Server.Hosting;
using WithCache.Server.Tests.TestSupport;

namespace WithCache.Server.Tests.Catalog;

/// <summary>The catalog contract on <see cref="CacheDatabase"/> (a fresh data dir per test), and what only SQLite does.</summary>
public sealed class SqliteCatalogTests : CatalogContractTests
{
    private readonly TempDir _dir = new();

    private protected override int CurrentVersion => 4;

    [Fact]
    public void Open_NewFile_MigratesToCurrentSchemaInWal()
    {
        var database = Open();

        Assert.Equal(4, database.UserVersion);
        Assert.True(File.Exists(Path.Combine(_dir.Path, "cache.db")));
        Assert.True(File.Exists(Path.Combine(_dir.Path, "cache.db-wal")));
        Assert.Equal("sqlite", database.Kind);
    }

    [Fact]
    public void ClaimExpiredJobs_OneHost_NeverAnything()
    {
        var database = Open();
        database.CreateJob("http://h/a", "http://h/a", DateTimeOffset.UnixEpoch);

        Assert.Empty(database.ClaimExpiredJobs(DateTimeOffset.MaxValue, 10));
    }

    private protected override ICacheCatalog Open(int maxJobs = 100_000) =>
        new CacheDatabase(Options.Create(new ServerOptions { DataDir = _dir.Path, MaxJobs = maxJobs }));

    protected override void Dispose(bool disposing)
    {
        _dir.Dispose();
        base.Dispose(disposing);
    }
}
