using System.Net;
using WithCache.Server.Catalog;
using WithCache.Server.Operations;
using WithCache.Server.Tests.TestSupport;

namespace WithCache.Server.Tests.Hosting;

public sealed class RestartTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private ArtifactOrigin _origin = null!;

    public async Task InitializeAsync() => _origin = await ArtifactOrigin.StartAsync();

    public async Task DisposeAsync()
    {
        await _origin.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Restart_JobInFlight_CompletesAfterRestartWithNothingPartialServed()
    {
        var body = TestData.Bytes(80_000, seed: 5);
        var origin = _origin.Add("/restart.bin", body);
        _origin.Hold("/restart.bin");
        await using var server = await ServerHost.StartAsync(_dir.Path);
        using (var miss = await server.Client.GetAsync(ServerHost.FetchPath(origin)))
        {
            Assert.Equal(HttpStatusCode.NotFound, miss.StatusCode);
        }

        await Poll.UntilAsync(() => server.Get<CacheOperations>().ListJobs(new ListQuery()).Any(j => j.Job.State == JobState.Running));
        await server.StopAsync();
        var afterStop = server.OpenCatalog();
        Assert.Equal(JobState.Running, Assert.Single(afterStop.ListJobs(new ListQuery())).State);

        // A leftover temp file, as a crash would leave one: start-up must sweep it.
        await File.WriteAllTextAsync(Path.Combine(_dir.Path, "tmp", "leftover.part"), "partial");
        await server.RestartAsync();
        using (var during = await server.Client.GetAsync(ServerHost.FetchPath(origin)))
        {
            Assert.Equal(HttpStatusCode.NotFound, during.StatusCode);
        }

        Assert.DoesNotContain(Directory.EnumerateFiles(Path.Combine(_dir.Path, "tmp")), f => f.EndsWith("leftover.part", StringComparison.Ordinal));
        _origin.Release("/restart.bin");
        using var hit = await server.WaitForHitAsync(origin);

        Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
        Assert.Equal(body, await hit.Content.ReadAsByteArrayAsync());
        var job = Assert.Single(server.Get<CacheOperations>().ListJobs(new ListQuery()));
        Assert.Equal(JobState.Completed, job.Job.State);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_dir.Path, "tmp")));
    }

    [SkippableFact]
    public async Task Restart_FillInFlightOnRangeCapableOrigin_ResumesFromCheckpointWithRange()
    {
        Skip.If(TestBackends.Shared, "resumes from a checkpoint file in the local tmp/; on S3 an interrupted fill starts over");
        var body = TestData.Bytes(200_000, seed: 9);
        var origin = _origin.Add("/resumable.bin", body);
        _origin.SupportRanges("/resumable.bin");
        _origin.Hold("/resumable.bin");

        // The held body must look slow, not stalled: no idle-timeout retry before the shutdown.
        await using var server = await ServerHost.StartAsync(_dir.Path, s => s["Fetch:IdleTimeout"] = "00:01:00");
        (await server.Client.GetAsync(ServerHost.FetchPath(origin))).Dispose();
        // The origin sent its first 1024 bytes and holds the rest: wait until they are in the temp file.
        await Poll.UntilAsync(() => Directory.EnumerateFiles(Path.Combine(_dir.Path, "tmp")).Any(f => new FileInfo(f).Length == 1024));

        await server.StopAsync();
        var afterStop = server.OpenCatalog();
        var checkpointed = Assert.Single(afterStop.ListJobs(new ListQuery()));
        Assert.Equal(JobState.Running, checkpointed.State);
        Assert.Equal(1024, checkpointed.BytesDone);
        Assert.Equal("\"v1\"", checkpointed.Validator);
        var partial = Path.Combine(_dir.Path, "tmp", checkpointed.TempFile!);
        Assert.Equal(1024, new FileInfo(partial).Length);

        _origin.Release("/resumable.bin");
        await server.RestartAsync();
        using var hit = await server.WaitForHitAsync(origin);

        Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
        Assert.Equal(body, await hit.Content.ReadAsByteArrayAsync());
        Assert.Equal(["/resumable.bin bytes=1024- \"v1\""], _origin.RangeRequests);
        Assert.Equal(2, _origin.RequestsFor("/resumable.bin"));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_dir.Path, "tmp")));
    }

    [SkippableFact]
    public async Task Restart_BlobDeletedBehindTheCatalog_RowDroppedAndMissServed()
    {
        Skip.If(TestBackends.Shared, TestBackends.SharedSkipReason);
        var origin = _origin.Add("/vanished.bin", TestData.Bytes(1000));
        await using var server = await ServerHost.StartAsync(_dir.Path);
        (await server.WaitForHitAsync(origin)).Dispose();
        await server.StopAsync();
        foreach (var blob in Directory.EnumerateFiles(Path.Combine(_dir.Path, "blobs"), "*", SearchOption.AllDirectories))
        {
            File.Delete(blob);
        }

        var orphan = Path.Combine(_dir.Path, "blobs", "sha256", "ab", "cd", "abcd" + new string('0', 60));
        Directory.CreateDirectory(Path.GetDirectoryName(orphan)!);
        await File.WriteAllTextAsync(orphan, "no row names me");

        await server.RestartAsync();

        Assert.Equal(0, server.Get<CacheOperations>().CountArtifacts());
        Assert.False(File.Exists(orphan));
        using var refetched = await server.WaitForHitAsync(origin);
        Assert.Equal(HttpStatusCode.OK, refetched.StatusCode);
    }
}
