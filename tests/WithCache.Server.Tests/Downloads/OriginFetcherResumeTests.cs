using WithCache.Server.Downloads;
using WithCache.Server.Tests.TestSupport;
using static WithCache.Server.Tests.Downloads.OriginFetcherTests;

namespace WithCache.Server.Tests.Downloads;

/// <summary>
/// A resumed fill never splices two versions of a file: when the representation changed between attempts the bytes
/// start over, whether the origin says so properly (a 200 to If-Range) or only through the validators on its 206.
/// </summary>
public sealed class OriginFetcherResumeTests
{
    private static readonly DateTimeOffset Monday = new(2024, 5, 6, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task FetchAsync_ETagChangedBetweenAttempts_IfRangeGets200AndOnlyTheNewBytesAreKept()
    {
        var before = Bytes(200_000, seed: 40);
        var after = Bytes(200_000, seed: 41);
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/nightly.tar", hit => hit == 1
            ? new OriginFile(before) { ETag = "\"build-1\"", CutAfter = _ => 80_000 }
            : new OriginFile(after) { ETag = "\"build-2\"" });
        await using var harness = new FetchHarness();

        var result = await harness.FetchAsync(origin.Url("/nightly.tar"));

        AssertCompletedWith(result, harness.TempPath, after);
        var resumed = origin.RequestsTo("/nightly.tar")[1];
        Assert.StartsWith("bytes=", resumed.Header("Range"), StringComparison.Ordinal);
        Assert.Equal("\"build-1\"", resumed.Header("If-Range"));
        Assert.Contains(harness.Logs.Lines, line => line.Contains("starting over", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FetchAsync_OriginIgnoresIfRangeButItsRangeCarriesTheNewETag_StartsOverWithTheNewBytes()
    {
        var before = Bytes(200_000, seed: 42);
        var after = Bytes(200_000, seed: 43);
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/nightly.tar", hit => hit == 1
            ? new OriginFile(before) { ETag = "\"build-1\"", CutAfter = _ => 80_000 }
            : new OriginFile(after) { ETag = "\"build-2\"", HonourIfRange = false });
        await using var harness = new FetchHarness();

        var result = await harness.FetchAsync(origin.Url("/nightly.tar"));

        AssertCompletedWith(result, harness.TempPath, after);
        var requests = origin.RequestsTo("/nightly.tar");
        Assert.Equal(3, requests.Count);
        Assert.Null(requests[2].Header("Range"));
    }

    [Fact]
    public async Task FetchAsync_OriginIgnoresIfRangeButItsRangeCarriesANewLastModified_StartsOverWithTheNewBytes()
    {
        var before = Bytes(200_000, seed: 44);
        var after = Bytes(200_000, seed: 45);
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/driver.run", hit => hit == 1
            ? new OriginFile(before) { ETag = null, LastModified = Monday, CutAfter = _ => 80_000 }
            : new OriginFile(after) { ETag = null, LastModified = Monday.AddDays(1), HonourIfRange = false });
        await using var harness = new FetchHarness();

        var result = await harness.FetchAsync(origin.Url("/driver.run"));

        AssertCompletedWith(result, harness.TempPath, after);
        var requests = origin.RequestsTo("/driver.run");
        Assert.Equal("Mon, 06 May 2024 12:00:00 GMT", requests[1].Header("If-Range"));
        Assert.Null(requests[^1].Header("Range"));
    }

    [Fact]
    public async Task FetchAsync_NewVersionWithAnotherLength_ReservesItAndStopsWhenItDoesNotFit()
    {
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/nightly.iso", hit => hit == 1
            ? new OriginFile(Bytes(100_000, seed: 47)) { ETag = "\"build-1\"", CutAfter = _ => 40_000 }
            : new OriginFile(Bytes(4 * 1024 * 1024, seed: 48)) { ETag = "\"build-2\"" });
        await using var harness = new FetchHarness();
        var reserved = new List<long?>();
        var progress = new List<long>();

        var result = await harness.FetchAsync(
            origin.Url("/nightly.iso"),
            length =>
            {
                reserved.Add(length);
                return length <= 100_000 ? null : "cache full: needs 4 MiB";
            },
            (done, _) => progress.Add(done));

        Assert.Equal(DownloadOutcome.CacheFull, result.Outcome);
        Assert.Equal("cache full: needs 4 MiB", result.Reason);
        Assert.Equal([100_000, 4 * 1024 * 1024], reserved);
        Assert.All(progress, done => Assert.True(done <= 40_000, $"read {done} bytes"));
        Assert.False(File.Exists(harness.TempPath));
    }

    [Fact]
    public async Task FetchAsync_WholeFileAgainWithTheSameLength_ReservesOnlyOnce()
    {
        var body = Bytes(100_000, seed: 49);
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/again.iso", new OriginFile(body) { HonourRange = false, CutAfter = hit => hit == 1 ? 40_000 : null });
        await using var harness = new FetchHarness();
        var reserved = new List<long?>();

        var result = await harness.FetchAsync(origin.Url("/again.iso"), length =>
        {
            reserved.Add(length);
            return null;
        });

        AssertCompletedWith(result, harness.TempPath, body);
        Assert.Equal([100_000], reserved);
    }

    [Fact]
    public async Task FetchAsync_OriginIgnoresIfRangeAndNothingChanged_ResumesWithTheRange()
    {
        var body = Bytes(200_000, seed: 46);
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/same.run", new OriginFile(body) { ETag = null, LastModified = Monday, HonourIfRange = false, CutAfter = hit => hit == 1 ? 80_000 : null });
        await using var harness = new FetchHarness();

        var result = await harness.FetchAsync(origin.Url("/same.run"));

        AssertCompletedWith(result, harness.TempPath, body);
        var requests = origin.RequestsTo("/same.run");
        Assert.Equal(2, requests.Count);
        Assert.StartsWith("bytes=", requests[1].Header("Range"), StringComparison.Ordinal);
    }
}
