using Microsoft.AspNetCore.Http;
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

    /// <summary>
    /// A new version of the file appears between two attempts, with the same length so that only a validator can tell
    /// the versions apart. Whether the resume's If-Range names it by ETag or by date, and whether the origin honours
    /// If-Range (a 200 with the whole new file) or ignores it (a 206 of the new file, naming the new version in its
    /// own validators), the result is the new file whole, never the old bytes with the new ones spliced on.
    /// </summary>
    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public async Task FetchAsync_NewVersionBetweenAttempts_OnlyTheNewBytesAreKept(bool byETag, bool originHonoursIfRange)
    {
        var before = Bytes(200_000, seed: 40);
        var after = Bytes(200_000, seed: 41);
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/nightly.tar", hit => hit == 1
            ? new OriginFile(before) { ETag = byETag ? "\"build-1\"" : null, LastModified = Monday, CutAfter = _ => 80_000 }
            : new OriginFile(after) { ETag = byETag ? "\"build-2\"" : null, LastModified = Monday.AddDays(1), HonourIfRange = originHonoursIfRange });
        await using var harness = new FetchHarness();

        var result = await harness.FetchAsync(origin.Url("/nightly.tar"));

        AssertCompletedWith(result, harness.TempPath, after);
        var resumed = origin.RequestsTo("/nightly.tar")[1];
        Assert.StartsWith("bytes=", resumed.Header("Range"), StringComparison.Ordinal);
        Assert.Equal(byETag ? "\"build-1\"" : "Mon, 06 May 2024 12:00:00 GMT", resumed.Header("If-Range"));
        var requests = origin.RequestsTo("/nightly.tar");
        Assert.Equal(originHonoursIfRange ? 2 : 3, requests.Count);
        Assert.Equal(originHonoursIfRange, requests[^1].Header("Range") is not null);
    }

    /// <summary>
    /// The file shrank below the bytes already fetched between two attempts, and the origin looks at Range before
    /// If-Range: the resume gets 416. The fill starts over and keeps only the new file (it used to fail the job).
    /// </summary>
    [Fact]
    public async Task FetchAsync_ResumeAnswered416_StartsOverAndKeepsOnlyTheNewFile()
    {
        var before = Bytes(200_000, seed: 50);
        var after = Bytes(50_000, seed: 51);
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/shrunk.bin", async (context, hit) =>
        {
            var response = context.Response;
            response.Headers.AcceptRanges = "bytes";
            if (hit == 1)
            {
                response.Headers.ETag = "\"v1\"";
                response.ContentLength = before.Length;
                await response.Body.WriteAsync(before.AsMemory(0, 80_000));
                await response.Body.FlushAsync();
                context.Abort();
                return;
            }

            response.Headers.ETag = "\"v2\"";
            if (context.Request.Headers.Range.Count > 0)
            {
                response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
                response.Headers.ContentRange = $"bytes */{after.Length}";
                return;
            }

            response.ContentLength = after.Length;
            await response.Body.WriteAsync(after);
        });
        await using var harness = new FetchHarness();

        var result = await harness.FetchAsync(origin.Url("/shrunk.bin"));

        AssertCompletedWith(result, harness.TempPath, after);
        var requests = origin.RequestsTo("/shrunk.bin");
        Assert.Equal(3, requests.Count);
        Assert.Equal("bytes=80000-", requests[1].Header("Range"));
        Assert.Null(requests[2].Header("Range"));
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
