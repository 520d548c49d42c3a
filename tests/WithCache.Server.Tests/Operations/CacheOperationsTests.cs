using System.Net;
using WithCache.Server.Catalog;
using WithCache.Server.Downloads;
using WithCache.Server.Operations;
using WithCache.Server.Tests.TestSupport;

namespace WithCache.Server.Tests.Operations;

public sealed class CacheOperationsTests : IAsyncLifetime
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
    public async Task Curate_Miss_IsListedAndNeverFetchedUntilApproved()
    {
        await using var server = await ServerHost.StartAsync(_dir.Path, s => s["WithCache:Curate"] = "true");
        var body = TestData.Bytes(4096);
        var origin = _origin.Add("/curated.bin", body);
        var operations = server.Get<CacheOperations>();

        for (var i = 0; i < 3; i++)
        {
            using var miss = await server.Client.GetAsync(ServerHost.FetchPath(origin));
            Assert.Equal(HttpStatusCode.NotFound, miss.StatusCode);
        }

        await Task.Delay(500);
        var listed = Assert.Single(operations.ListMisses(new ListQuery()));
        Assert.Equal(origin, listed.Key);
        Assert.Equal(3, listed.Count);
        Assert.Equal(0, _origin.RequestsFor("/curated.bin"));
        Assert.Empty(operations.ListJobs(new ListQuery()));

        var approved = operations.DownloadMiss(listed.Key);

        Assert.True(approved.Succeeded, approved.Message);
        Assert.Equal(JobState.Completed, (await server.WaitForJobAsync(origin)).Job.State);
        using var hit = await server.Client.GetAsync(ServerHost.FetchPath(origin));
        Assert.Equal(body, await hit.Content.ReadAsByteArrayAsync());
        var artifact = Assert.Single(operations.ListArtifacts(new ListQuery()));
        Assert.Equal(3, artifact.MissesBefore);
        Assert.Empty(operations.ListMisses(new ListQuery()));
    }

    [Fact]
    public async Task Curate_Dismiss_RemovesTheMiss()
    {
        await using var server = await ServerHost.StartAsync(_dir.Path, s => s["WithCache:Curate"] = "true");
        var origin = _origin.Add("/dismissed.bin", TestData.Bytes(10));
        (await server.Client.GetAsync(ServerHost.FetchPath(origin))).Dispose();
        var operations = server.Get<CacheOperations>();
        Assert.Single(operations.ListMisses(new ListQuery()));

        Assert.True(operations.DismissMiss(origin).Succeeded);

        Assert.Empty(operations.ListMisses(new ListQuery()));
        Assert.Equal(OperationOutcome.NotFound, operations.DismissMiss(origin).Outcome);
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 2)]
    public async Task KeepQuery_UrlsDifferingInQuery_AreOneOrTwoKeys(bool keepQuery, int expectedArtifacts)
    {
        await using var server = await ServerHost.StartAsync(_dir.Path, s => s["WithCache:KeepQuery"] = keepQuery ? "true" : "false");
        var origin = _origin.Add("/signed.bin", TestData.Bytes(100));

        (await server.WaitForHitAsync(origin + "?sig=aaa")).Dispose();
        using var second = await server.WaitForHitAsync(origin + "?sig=bbb");

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(expectedArtifacts, server.Get<CacheOperations>().CountArtifacts());
        Assert.Equal(expectedArtifacts, _origin.RequestsFor("/signed.bin"));
    }

    [Fact]
    public async Task SameBytes_TwoUrls_ShareOneBlobUntilBothDeleted()
    {
        await using var server = await ServerHost.StartAsync(_dir.Path);
        var body = TestData.Bytes(1000, seed: 3);
        var first = _origin.Add("/mirror-a/x.bin", body);
        var second = _origin.Add("/mirror-b/x.bin", body);
        (await server.WaitForHitAsync(first)).Dispose();
        (await server.WaitForHitAsync(second)).Dispose();
        var operations = server.Get<CacheOperations>();
        Assert.Single(server.BlobFiles());
        Assert.Equal(1000, operations.Capacity.Stored);

        Assert.True(operations.DeleteArtifact(first).Succeeded);
        Assert.Single(server.BlobFiles());
        using var stillServed = await server.Client.GetAsync(ServerHost.FetchPath(second));
        Assert.Equal(HttpStatusCode.OK, stillServed.StatusCode);

        Assert.True(operations.DeleteArtifact(second).Succeeded);
        Assert.Empty(server.BlobFiles());
        Assert.Equal(0, operations.Capacity.Stored);
        Assert.Equal(OperationOutcome.NotFound, operations.DeleteArtifact(second).Outcome);
    }

    [Fact]
    public async Task MaxBytes_FillThatWouldOverflow_FailsWithCacheFull()
    {
        await using var server = await ServerHost.StartAsync(_dir.Path, s => s["WithCache:MaxBytes"] = "15000");
        var small = _origin.Add("/small.bin", TestData.Bytes(10_000, seed: 1));
        var big = _origin.Add("/big.bin", TestData.Bytes(10_000, seed: 2));
        (await server.WaitForHitAsync(small)).Dispose();

        var added = server.Get<CacheOperations>().AddFromUri(big);
        Assert.True(added.Succeeded, added.Message);
        var job = await server.WaitForJobAsync(big);

        Assert.Equal(JobState.Failed, job.Job.State);
        Assert.StartsWith("cache full", job.Job.Reason, StringComparison.Ordinal);
        Assert.Empty(server.TempFiles());
        using var miss = await server.Client.GetAsync(ServerHost.FetchPath(big));
        Assert.Equal(HttpStatusCode.NotFound, miss.StatusCode);
    }

    [Fact]
    public async Task MaxBytes_TwoFillsRacingForTheLastSpace_OnlyOneIsAdmitted()
    {
        await using var server = await ServerHost.StartAsync(_dir.Path, s => s["WithCache:MaxBytes"] = "15000");
        var first = _origin.Add("/race-1.bin", TestData.Bytes(10_000, seed: 11));
        var second = _origin.Add("/race-2.bin", TestData.Bytes(10_000, seed: 12));
        _origin.Hold("/race-1.bin");
        _origin.Hold("/race-2.bin");
        var operations = server.Get<CacheOperations>();

        Assert.True(operations.AddFromUri(first).Succeeded);
        Assert.True(operations.AddFromUri(second).Succeeded);
        await Task.Delay(500);
        _origin.Release("/race-1.bin");
        _origin.Release("/race-2.bin");
        var jobs = new[] { await server.WaitForJobAsync(first), await server.WaitForJobAsync(second) };

        Assert.Single(jobs, j => j.Job.State == JobState.Completed);
        var refused = Assert.Single(jobs, j => j.Job.State == JobState.Failed);
        Assert.StartsWith("cache full", refused.Job.Reason, StringComparison.Ordinal);
        Assert.Equal(10_000, operations.Capacity.Stored);
    }

    [Fact]
    public async Task AddFromUri_BadUrl_RefusedWithReason()
    {
        await using var server = await ServerHost.StartAsync(_dir.Path);
        var operations = server.Get<CacheOperations>();

        Assert.Equal(OperationOutcome.Invalid, operations.AddFromUri("ftp://example.com/x").Outcome);
        Assert.Equal(OperationOutcome.Invalid, operations.AddFromUri("https://user:pw@example.com/x").Outcome);
        Assert.Equal(OperationOutcome.Invalid, operations.AddFromUri("   ").Outcome);
        Assert.Empty(operations.ListJobs(new ListQuery()));
    }

    [Fact]
    public async Task CancelJob_Running_EndsCancelledAndLeavesNoTempFile()
    {
        await using var server = await ServerHost.StartAsync(_dir.Path);
        var origin = _origin.Add("/cancel-me.bin", TestData.Bytes(50_000));
        _origin.Hold("/cancel-me.bin");
        var operations = server.Get<CacheOperations>();
        Assert.True(operations.AddFromUri(origin).Succeeded);
        var running = await server.WaitForJobAsync(origin, JobState.Running);

        Assert.True(operations.CancelJob(running.Job.Id).Succeeded);
        var job = await server.WaitForJobAsync(origin);

        Assert.Equal(JobState.Cancelled, job.Job.State);
        Assert.Empty(server.TempFiles());
        Assert.Equal(1, operations.ClearFinishedJobs().Succeeded ? 1 : 0);
        Assert.Empty(operations.ListJobs(new ListQuery()));
    }
}
