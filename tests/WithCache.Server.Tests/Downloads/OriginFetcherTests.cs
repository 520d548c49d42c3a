using System.Diagnostics;
using System.Security.Cryptography;
using WithCache.Server.Downloads;
using WithCache.Server.Tests.TestSupport;

namespace WithCache.Server.Tests.Downloads;

/// <summary>The upstream copy against a real loopback origin that misbehaves on purpose.</summary>
public sealed class OriginFetcherTests
{
    internal static byte[] Bytes(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    internal static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    internal static void AssertCompletedWith(FetchResult result, string tempPath, byte[] expected)
    {
        Assert.True(result.Outcome == DownloadOutcome.Completed, $"{result.Outcome}: {result.Reason}");
        Assert.Equal(expected.Length, result.Length);
        Assert.Equal(Sha256(expected), result.Sha256Hex);
        Assert.Equal(expected, File.ReadAllBytes(tempPath));
    }

    [Fact]
    public async Task FetchAsync_PlainOk_CompletesWithBytesSha256AndProgress()
    {
        var body = Bytes(300_000);
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/cuda.run", new OriginFile(body));
        await using var harness = new FetchHarness();
        var reserved = new List<long?>();
        var progress = new List<(long Done, long? Total)>();

        var result = await harness.FetchAsync(
            origin.Url("/cuda.run"),
            length =>
            {
                reserved.Add(length);
                return null;
            },
            (done, total) => progress.Add((done, total)));

        AssertCompletedWith(result, harness.TempPath, body);
        Assert.False(result.IsPermanentFailure);
        Assert.Equal([body.Length], reserved);
        Assert.Equal((body.Length, body.Length), progress[^1]);
        Assert.InRange(progress.Count, 3, 20);
        var request = Assert.Single(origin.Requests);
        Assert.Equal("GET", request.Method);
        Assert.Null(request.Header("Range"));
        Assert.Null(request.Header("Accept-Encoding"));
    }

    [Fact]
    public async Task FetchAsync_ChunkedBodyWithoutLength_CompletesAndReservesUnknownLength()
    {
        var body = Bytes(100_000);
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/stream", new OriginFile(body) { SendLength = false });
        await using var harness = new FetchHarness();
        var reserved = new List<long?>();

        var result = await harness.FetchAsync(origin.Url("/stream"), length =>
        {
            reserved.Add(length);
            return null;
        });

        AssertCompletedWith(result, harness.TempPath, body);
        Assert.Equal([null], reserved);
    }

    [Fact]
    public async Task FetchAsync_ConnectionDroppedMidBody_ResumesWithRangeAndIsByteIdentical()
    {
        var body = Bytes(400_000);
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/big.tar", new OriginFile(body) { CutAfter = hit => hit == 1 ? 150_000 : null });
        await using var harness = new FetchHarness();
        var reserveCalls = 0;

        var result = await harness.FetchAsync(origin.Url("/big.tar"), _ =>
        {
            reserveCalls++;
            return null;
        });

        AssertCompletedWith(result, harness.TempPath, body);
        Assert.Equal(1, reserveCalls);
        var requests = origin.RequestsTo("/big.tar");
        Assert.Equal(2, requests.Count);
        Assert.Null(requests[0].Header("Range"));
        Assert.StartsWith("bytes=", requests[1].Header("Range"));
        Assert.NotEqual("bytes=0-", requests[1].Header("Range"));
        Assert.Equal("\"v1\"", requests[1].Header("If-Range"));
    }

    [Fact]
    public async Task FetchAsync_DroppedWithLastModifiedOnly_ResumesWithDateIfRange()
    {
        var body = Bytes(200_000);
        var modified = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/driver.run", new OriginFile(body) { ETag = null, LastModified = modified, CutAfter = hit => hit == 1 ? 70_000 : null });
        await using var harness = new FetchHarness();

        var result = await harness.FetchAsync(origin.Url("/driver.run"));

        AssertCompletedWith(result, harness.TempPath, body);
        var resumed = origin.RequestsTo("/driver.run")[1];
        Assert.StartsWith("bytes=", resumed.Header("Range"));
        Assert.Equal("Wed, 01 May 2024 12:00:00 GMT", resumed.Header("If-Range"));
    }

    [Fact]
    public async Task FetchAsync_DroppedWithWeakETagOnly_StartsOverWithoutRange()
    {
        var body = Bytes(200_000);
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/weak", new OriginFile(body) { ETag = "W/\"v1\"", CutAfter = hit => hit == 1 ? 70_000 : null });
        await using var harness = new FetchHarness();

        var result = await harness.FetchAsync(origin.Url("/weak"));

        AssertCompletedWith(result, harness.TempPath, body);
        var requests = origin.RequestsTo("/weak");
        Assert.Equal(2, requests.Count);
        Assert.Null(requests[1].Header("Range"));
    }

    [Fact]
    public async Task FetchAsync_OriginIgnoresRangeAndAnswers200_StartsOverAndIsByteIdentical()
    {
        var body = Bytes(300_000);
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/mirror.iso", new OriginFile(body) { HonourRange = false, CutAfter = hit => hit == 1 ? 120_000 : null });
        await using var harness = new FetchHarness();
        var progress = new List<long>();

        var result = await harness.FetchAsync(origin.Url("/mirror.iso"), progress: (done, _) => progress.Add(done));

        AssertCompletedWith(result, harness.TempPath, body);
        var requests = origin.RequestsTo("/mirror.iso");
        Assert.Equal(2, requests.Count);
        Assert.StartsWith("bytes=", requests[1].Header("Range"));
        Assert.Contains(0, progress.Skip(1));
        Assert.Contains(harness.Logs.Lines, line => line.Contains("starting over", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FetchAsync_ServerErrorThenOk_RetriesAndCompletes()
    {
        var body = Bytes(10_000);
        await using var origin = await OriginServer.StartAsync();
        origin.MapStatus("/flaky", 500, times: 1, then: new OriginFile(body));
        await using var harness = new FetchHarness();

        var result = await harness.FetchAsync(origin.Url("/flaky"));

        AssertCompletedWith(result, harness.TempPath, body);
        Assert.Equal(2, origin.RequestsTo("/flaky").Count);
    }

    [Theory]
    [InlineData(408)]
    [InlineData(429)]
    [InlineData(502)]
    public async Task FetchAsync_TransientStatusThenOk_Retries(int status)
    {
        var body = Bytes(1_000);
        await using var origin = await OriginServer.StartAsync();
        origin.MapStatus("/f", status, times: 2, then: new OriginFile(body));
        await using var harness = new FetchHarness();

        var result = await harness.FetchAsync(origin.Url("/f"));

        AssertCompletedWith(result, harness.TempPath, body);
        Assert.Equal(3, origin.RequestsTo("/f").Count);
    }

    [Fact]
    public async Task FetchAsync_ServiceUnavailableForever_UpstreamErrorAfterMaxAttemptsAndTempGone()
    {
        await using var origin = await OriginServer.StartAsync();
        origin.MapStatus("/down", 503);
        await using var harness = new FetchHarness(o => o.MaxAttempts = 3);

        var result = await harness.FetchAsync(origin.Url("/down"));

        Assert.Equal(DownloadOutcome.UpstreamError, result.Outcome);
        Assert.False(result.IsPermanentFailure);
        Assert.Equal("origin answered 503 Service Unavailable; gave up after 3 attempts", result.Reason);
        Assert.Equal(3, origin.RequestsTo("/down").Count);
        Assert.False(File.Exists(harness.TempPath));
    }

    [Fact]
    public async Task FetchAsync_StallOnce_TimesOutRetriesAndCompletes()
    {
        var body = Bytes(200_000);
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/stall-once", new OriginFile(body) { Cut = OriginCut.Stall, CutAfter = hit => hit == 1 ? 50_000 : null });
        await using var harness = new FetchHarness(o => o.IdleTimeout = TimeSpan.FromMilliseconds(300));

        var result = await harness.FetchAsync(origin.Url("/stall-once"));

        AssertCompletedWith(result, harness.TempPath, body);
        Assert.Equal(2, origin.RequestsTo("/stall-once").Count);
        Assert.Contains(harness.Logs.Lines, line => line.Contains("stalled for 0.3 s", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FetchAsync_HeadersSentBodyNeverComes_IdleTimeoutAndTempGone()
    {
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/stall", new OriginFile(Bytes(10_000)) { Cut = OriginCut.Stall, CutAfter = _ => 0 });
        await using var harness = new FetchHarness(o =>
        {
            o.IdleTimeout = TimeSpan.FromMilliseconds(300);
            o.MaxAttempts = 2;
        });
        var clock = Stopwatch.StartNew();

        var result = await harness.FetchAsync(origin.Url("/stall"));

        Assert.Equal(DownloadOutcome.IdleTimeout, result.Outcome);
        Assert.Equal("stalled for 0.3 s after 0 bytes; gave up after 2 attempts", result.Reason);
        Assert.Equal(2, origin.RequestsTo("/stall").Count);
        Assert.False(File.Exists(harness.TempPath));
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(550), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task FetchAsync_NoHeadersEver_IdleTimeout()
    {
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/silent", async (context, _) =>
        {
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }
        });
        await using var harness = new FetchHarness(o =>
        {
            o.IdleTimeout = TimeSpan.FromMilliseconds(300);
            o.MaxAttempts = 1;
        });

        var result = await harness.FetchAsync(origin.Url("/silent"));

        Assert.Equal(DownloadOutcome.IdleTimeout, result.Outcome);
        Assert.StartsWith("no answer from 127.0.0.1:", result.Reason);
    }

    [Fact]
    public async Task FetchAsync_ContentLengthLargerThanBodyEveryTime_LengthMismatchNeverCompletedAndTempGone()
    {
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/short", new OriginFile(Bytes(100_000)) { Cut = OriginCut.Close, CutAfter = hit => hit == 1 ? 60_000 : 0 });
        await using var harness = new FetchHarness(o => o.MaxAttempts = 3);

        var result = await harness.FetchAsync(origin.Url("/short"));

        Assert.Equal(DownloadOutcome.LengthMismatch, result.Outcome);
        Assert.Null(result.Sha256Hex);
        Assert.StartsWith("Content-Length said 100000 bytes, got ", result.Reason);
        Assert.EndsWith("; gave up after 3 attempts", result.Reason);
        var requests = origin.RequestsTo("/short");
        Assert.Equal(3, requests.Count);
        Assert.StartsWith("bytes=", requests[1].Header("Range"));
        Assert.False(File.Exists(harness.TempPath));
    }

    [Fact]
    public async Task FetchAsync_ShortBodyWithoutRanges_RetriesFromScratchThenLengthMismatch()
    {
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/short", new OriginFile(Bytes(1_000)) { AcceptRanges = false, Cut = OriginCut.Close, CutAfter = _ => 600 });
        await using var harness = new FetchHarness(o => o.MaxAttempts = 2);

        var result = await harness.FetchAsync(origin.Url("/short"));

        Assert.Equal(DownloadOutcome.LengthMismatch, result.Outcome);
        Assert.Equal("Content-Length said 1000 bytes, got 600; gave up after 2 attempts", result.Reason);
        Assert.All(origin.RequestsTo("/short"), r => Assert.Null(r.Header("Range")));
        Assert.False(File.Exists(harness.TempPath));
    }

    [Fact]
    public async Task FetchAsync_ResetEveryTimeWithoutProgress_NetworkErrorAndTempGone()
    {
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/reset", new OriginFile(Bytes(1_000)) { AcceptRanges = false, CutAfter = _ => 600 });
        await using var harness = new FetchHarness(o => o.MaxAttempts = 3);

        var result = await harness.FetchAsync(origin.Url("/reset"));

        Assert.Equal(DownloadOutcome.NetworkError, result.Outcome);
        Assert.Equal("connection dropped after 600 of 1000 bytes; gave up after 3 attempts", result.Reason);
        Assert.Equal(3, origin.RequestsTo("/reset").Count);
        Assert.False(File.Exists(harness.TempPath));
    }

    [Fact]
    public async Task FetchAsync_ShortBodyOnceThenWhole_ResumesAndCompletes()
    {
        var body = Bytes(100_000);
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/short-once", new OriginFile(body) { Cut = OriginCut.Close, CutAfter = hit => hit == 1 ? 30_000 : null });
        await using var harness = new FetchHarness();

        var result = await harness.FetchAsync(origin.Url("/short-once"));

        AssertCompletedWith(result, harness.TempPath, body);
        Assert.Equal("bytes=30000-", origin.RequestsTo("/short-once")[1].Header("Range"));
    }

    [Fact]
    public async Task FetchAsync_DropsThatEachAddBytes_KeepGoingPastMaxAttempts()
    {
        var body = Bytes(100_000);
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/drip", new OriginFile(body) { CutAfter = hit => hit <= 4 ? 20_000 : null });
        await using var harness = new FetchHarness(o => o.MaxAttempts = 2);

        var result = await harness.FetchAsync(origin.Url("/drip"));

        AssertCompletedWith(result, harness.TempPath, body);
        Assert.Equal(5, origin.RequestsTo("/drip").Count);
    }

    [Theory]
    [InlineData(404, "UpstreamNotFound", "origin answered 404 Not Found")]
    [InlineData(410, "UpstreamNotFound", "origin answered 410 Gone")]
    [InlineData(401, "UpstreamDenied", "origin answered 401 Unauthorized")]
    [InlineData(403, "UpstreamDenied", "origin answered 403 Forbidden")]
    [InlineData(400, "UpstreamError", "origin answered 400 Bad Request")]
    [InlineData(304, "UpstreamError", "origin answered 304 Not Modified")]
    public async Task FetchAsync_FinalStatus_FailsAfterExactlyOneRequest(int status, string outcomeName, string reason)
    {
        var outcome = Enum.Parse<DownloadOutcome>(outcomeName);
        await using var origin = await OriginServer.StartAsync();
        origin.MapStatus("/gone", status);
        await using var harness = new FetchHarness();

        var result = await harness.FetchAsync(origin.Url("/gone"));

        Assert.Equal(outcome, result.Outcome);
        Assert.Equal(reason, result.Reason);
        Assert.Equal(outcome != DownloadOutcome.UpstreamError, result.IsPermanentFailure);
        Assert.Single(origin.Requests);
        Assert.False(File.Exists(harness.TempPath));
    }

    [Fact]
    public async Task FetchAsync_ReserveRefuses_CacheFullWithoutReadingTheBody()
    {
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/huge", new OriginFile(Bytes(4 * 1024 * 1024)));
        await using var harness = new FetchHarness();
        var reserved = new List<long?>();
        var progress = new List<long>();

        var result = await harness.FetchAsync(
            origin.Url("/huge"),
            length =>
            {
                reserved.Add(length);
                return "cache full: 4194304 bytes do not fit in 1000 free";
            },
            (done, _) => progress.Add(done));

        Assert.Equal(DownloadOutcome.CacheFull, result.Outcome);
        Assert.Equal("cache full: 4194304 bytes do not fit in 1000 free", result.Reason);
        Assert.Equal([4 * 1024 * 1024], reserved);
        Assert.Empty(progress);
        Assert.Single(origin.Requests);
        Assert.False(File.Exists(harness.TempPath));
    }

    [Fact]
    public async Task FetchAsync_CancelledMidBody_CancelledAndTempGone()
    {
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/slow", new OriginFile(Bytes(500_000)) { Cut = OriginCut.Stall, CutAfter = _ => 200_000 });
        await using var harness = new FetchHarness();
        using var cancellation = new CancellationTokenSource();
        var sawBytes = false;

        var result = await harness.FetchAsync(
            origin.Url("/slow"),
            progress: (done, _) =>
            {
                if (done > 0 && !sawBytes)
                {
                    sawBytes = true;
                    Assert.True(File.Exists(harness.TempPath));
                    cancellation.CancelAfter(100);
                }
            },
            cancellationToken: cancellation.Token);

        Assert.True(sawBytes);
        Assert.Equal(DownloadOutcome.Cancelled, result.Outcome);
        Assert.False(File.Exists(harness.TempPath));
        Assert.Single(origin.Requests);
    }

    [Fact]
    public async Task FetchAsync_CancelledDuringBackoff_CancelledPromptly()
    {
        await using var origin = await OriginServer.StartAsync();
        origin.MapStatus("/down", 503);
        await using var harness = new FetchHarness(o =>
        {
            o.RetryBaseDelay = TimeSpan.FromSeconds(20);
            o.RetryMaxDelay = TimeSpan.FromSeconds(20);
        });
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();

        var result = await harness.FetchAsync(origin.Url("/down"), cancellationToken: cancellation.Token);

        Assert.Equal(DownloadOutcome.Cancelled, result.Outcome);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Single(origin.Requests);
        Assert.False(File.Exists(harness.TempPath));
    }

    [Fact]
    public async Task FetchAsync_TempDirectoryMissing_DiskErrorWithoutAskingTheOrigin()
    {
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/f", new OriginFile(Bytes(10)));
        await using var harness = new FetchHarness();
        Assert.True(WithCache.Core.OriginUrl.TryParse(origin.Url("/f"), out var url, out _));

        var result = await harness.Fetcher.FetchAsync(url, Path.Combine(harness.Directory, "no-such-dir", "x.tmp"), _ => null, null, CancellationToken.None);

        Assert.Equal(DownloadOutcome.DiskError, result.Outcome);
        Assert.StartsWith("could not create the temp file", result.Reason);
        Assert.Empty(origin.Requests);
    }

    [Fact]
    public async Task FetchAsync_ConnectionRefused_NetworkErrorAfterRetries()
    {
        int port;
        await using (var closed = await OriginServer.StartAsync())
        {
            port = closed.Port;
        }

        await using var harness = new FetchHarness(o => o.MaxAttempts = 2);

        var result = await harness.FetchAsync($"http://127.0.0.1:{port}/x");

        Assert.Equal(DownloadOutcome.NetworkError, result.Outcome);
        Assert.StartsWith($"could not reach 127.0.0.1:{port}: ", result.Reason);
        Assert.EndsWith("; gave up after 2 attempts", result.Reason);
        Assert.False(File.Exists(harness.TempPath));
    }
}
