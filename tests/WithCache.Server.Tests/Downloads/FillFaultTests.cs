using System.Net;
using System.Text;
using WithCache.Server.Catalog;
using WithCache.Server.Operations;
using WithCache.Server.Tests.TestSupport;

namespace WithCache.Server.Tests.Downloads;

/// <summary>
/// Origin faults end to end: a miss on <c>/b/</c> queues the fill on the real cache-host, a loopback origin misbehaves
/// on purpose, and the outcome is read where the operator sees it (the job row, the Downloads page) and where the
/// bytes live (<c>blobs/</c>, <c>tmp/</c>). Every fault ends in a byte-exact blob or in a failed job with a plain
/// reason, never in a partial blob or a leftover temp file.
/// </summary>
public sealed class FillFaultTests : IAsyncLifetime
{
    private const string Queued = "not cached; download in progress\n";

    private readonly TempDir _dir = new();
    private OriginServer _origin = null!;

    public async Task InitializeAsync() => _origin = await OriginServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _origin.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>
    /// Faults that strike once in the middle of the body: the retry asks for the rest with Range and If-Range and the
    /// blob is whole, also when the origin ignores the range and sends the whole file again with a 200.
    /// </summary>
    [Theory]
    [InlineData("connection reset")]
    [InlineData("stall")]
    [InlineData("body shorter than Content-Length")]
    [InlineData("range answered with 200")]
    public async Task Fill_FaultOnceMidBody_RetryEndsInAByteExactBlob(string fault)
    {
        var body = TestData.Bytes(300_000, seed: 21);
        var file = new OriginFile(body) { CutAfter = hit => hit == 1 ? 120_000 : null };
        var url = Serve("/once.bin", fault switch
        {
            "connection reset" => file with { Cut = OriginCut.Abort },
            "stall" => file with { Cut = OriginCut.Stall },
            "body shorter than Content-Length" => file with { Cut = OriginCut.Close },
            _ => file with { HonourRange = false },
        });
        await using var server = await ServerHost.StartAsync(_dir.Path, s => s["Fetch:IdleTimeout"] = "00:00:01");

        Assert.Equal(Queued, await server.MissAsync(url));

        await AssertFilledWithAsync(server, url, body);

        // At least two: a busy machine may add an idle-timeout retry of its own, which changes nothing here.
        var requests = _origin.RequestsTo("/once.bin");
        Assert.True(requests.Count >= 2, $"{requests.Count} requests");
        Assert.StartsWith("bytes=", requests[1].Header("Range"), StringComparison.Ordinal);
        Assert.NotEqual("bytes=0-", requests[1].Header("Range"));
        Assert.Equal("\"v1\"", requests[1].Header("If-Range"));
    }

    [Fact]
    public async Task Fill_ConnectionResetEveryTimeWithoutRanges_FailsSayingTheConnectionDropped()
    {
        var url = Serve("/reset.bin", new OriginFile(TestData.Bytes(1_000)) { AcceptRanges = false, CutAfter = _ => 600 });
        await using var server = await ServerHost.StartAsync(_dir.Path);

        await server.MissAsync(url);

        // A reset may cost the client bytes it had not read yet, so an early attempt can fall short of a later one,
        // which counts as progress: five attempts in a row without progress, after one or a few more.
        var reason = await AssertFailedAsync(server, url);
        Assert.Matches(@"^connection dropped after \d+ of 1000 bytes; gave up after 5 attempts( in a row without progress)?$", reason);
        Assert.InRange(_origin.RequestsTo("/reset.bin").Count, 5, 9);
    }

    [Fact]
    public async Task Fill_StallEveryTime_FailsSayingItStalled()
    {
        var url = Serve("/stall.bin", new OriginFile(TestData.Bytes(100_000)) { Cut = OriginCut.Stall, CutAfter = hit => hit == 1 ? 50_000 : 0 });
        await using var server = await ServerHost.StartAsync(_dir.Path, s =>
        {
            s["Fetch:IdleTimeout"] = "00:00:01";
            s["Fetch:MaxAttempts"] = "2";
        });

        await server.MissAsync(url);

        var reason = await AssertFailedAsync(server, url);
        Assert.Matches(@"^stalled for 1 s after \d+ bytes; gave up after 2 attempts", reason);
    }

    [Fact]
    public async Task Fill_ContentLengthLargerThanTheBodyEveryTime_FailsSayingWhatWasPromised()
    {
        var url = Serve("/short.bin", new OriginFile(TestData.Bytes(100_000)) { Cut = OriginCut.Close, CutAfter = hit => hit == 1 ? 60_000 : 0 });
        await using var server = await ServerHost.StartAsync(_dir.Path);

        await server.MissAsync(url);

        var reason = await AssertFailedAsync(server, url);
        Assert.StartsWith("Content-Length said 100000 bytes, got 60000; gave up after ", reason, StringComparison.Ordinal);
    }

    /// <summary>
    /// RFC 9112 section 6.3: Content-Length is the body's length; bytes after it are not part of the message. The blob
    /// is what <c>curl -o</c> and <c>wget</c> save from this origin (both keep the announced length and exit 0).
    /// </summary>
    [Fact]
    public async Task Fill_OriginWritesMoreThanItsContentLength_StoresTheAnnouncedLengthLikeCurl()
    {
        var announced = TestData.Bytes(1_000, seed: 24);
        using var raw = RawOrigin.Start(_ => [.. RawOrigin.Head("200 OK", "Content-Length: 1000"), .. announced, .. TestData.Bytes(1_000, seed: 25)]);
        var url = raw.Url("/longer.bin");
        await using var server = await ServerHost.StartAsync(_dir.Path);

        await server.MissAsync(url);

        await AssertFilledWithAsync(server, url, announced);
        Assert.Single(raw.Requests);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Fill_ChunkedBodyWithoutItsLastChunk_FailsAndNeverStoresThePart(bool cutInsideAChunk)
    {
        var body = TestData.Bytes(3_000, seed: 26);
        using var raw = RawOrigin.Start(_ => CutChunked(body, cutInsideAChunk));
        var url = raw.Url("/chunked.bin");
        await using var server = await ServerHost.StartAsync(_dir.Path);

        await server.MissAsync(url);

        var reason = await AssertFailedAsync(server, url);
        Assert.Matches(@"^connection dropped after \d+ bytes; gave up after 5 attempts$", reason);
        Assert.Equal(5, raw.Requests.Count);
    }

    [Fact]
    public async Task Fill_ChunkedBodyCutOnceThenWhole_StartsOverToAByteExactBlob()
    {
        var body = TestData.Bytes(3_000, seed: 27);
        using var raw = RawOrigin.Start(n => n == 1
            ? CutChunked(body, cutInsideAChunk: false)
            : [.. RawOrigin.Head("200 OK", "Transfer-Encoding: chunked"), .. RawOrigin.Chunk(body), .. "0\r\n\r\n"u8]);
        var url = raw.Url("/chunked-once.bin");
        await using var server = await ServerHost.StartAsync(_dir.Path);

        await server.MissAsync(url);

        await AssertFilledWithAsync(server, url, body);
        Assert.Equal(2, raw.Requests.Count);
        Assert.DoesNotContain("Range:", raw.Requests[1], StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData(301, "301 Moved Permanently")]
    [InlineData(302, "302 Found")]
    [InlineData(307, "307 Temporary Redirect")]
    public async Task Fill_RedirectWithoutLocation_FailsAtOnceSayingSo(int status, string statusText)
    {
        _origin.MapStatus("/nowhere", status);
        var url = _origin.Url("/nowhere");
        await using var server = await ServerHost.StartAsync(_dir.Path);

        await server.MissAsync(url);

        Assert.Equal($"origin answered {statusText} without a Location", await AssertFailedAsync(server, url));
        Assert.Single(_origin.RequestsTo("/nowhere"));
    }

    [Fact]
    public async Task Fill_TooManyRequestsWithRetryAfter_WaitsAsAskedThenCompletes()
    {
        var body = TestData.Bytes(10_000, seed: 28);
        _origin.MapStatus("/limited.bin", 429, times: 1, then: new OriginFile(body), headers: new Dictionary<string, string> { ["Retry-After"] = "1" });
        var url = _origin.Url("/limited.bin");

        // Retry-After is honoured up to RetryMaxDelay; the test server's 100 ms cap would clip it.
        await using var server = await ServerHost.StartAsync(_dir.Path, s => s["Fetch:RetryMaxDelay"] = "00:00:05");

        await server.MissAsync(url);

        await AssertFilledWithAsync(server, url, body);
        var requests = _origin.RequestsTo("/limited.bin");
        Assert.Equal(2, requests.Count);

        // A lower bound only (a busy machine makes the gap longer, never shorter); the margin covers timer granularity.
        Assert.True(requests[1].ReceivedAt - requests[0].ReceivedAt >= TimeSpan.FromMilliseconds(950), $"retried after {requests[1].ReceivedAt - requests[0].ReceivedAt}");
    }

    [Fact]
    public async Task Fill_TooManyRequestsEveryTime_FailsSayingSo()
    {
        _origin.MapStatus("/always-limited.bin", 429, headers: new Dictionary<string, string> { ["Retry-After"] = "1" });
        var url = _origin.Url("/always-limited.bin");
        await using var server = await ServerHost.StartAsync(_dir.Path);

        await server.MissAsync(url);

        Assert.Equal("origin answered 429 Too Many Requests; gave up after 5 attempts", await AssertFailedAsync(server, url));
        Assert.Equal(5, _origin.RequestsTo("/always-limited.bin").Count);
    }

    [Fact]
    public async Task Fill_ETagChangesBetweenAttempts_IfRangeStartsOverAndStoresOnlyTheNewContent()
    {
        // Same length, so only the validator can tell the versions apart: a splice would pass every length check.
        var before = TestData.Bytes(300_000, seed: 30);
        var after = TestData.Bytes(300_000, seed: 31);
        _origin.Map("/nightly.tar", hit => hit == 1
            ? new OriginFile(before) { ETag = "\"build-1\"", CutAfter = _ => 100_000 }
            : new OriginFile(after) { ETag = "\"build-2\"" });
        var url = _origin.Url("/nightly.tar");
        await using var server = await ServerHost.StartAsync(_dir.Path);

        await server.MissAsync(url);

        await AssertFilledWithAsync(server, url, after);
        var resumed = _origin.RequestsTo("/nightly.tar")[1];
        Assert.StartsWith("bytes=", resumed.Header("Range"), StringComparison.Ordinal);
        Assert.Equal("\"build-1\"", resumed.Header("If-Range"));
    }

    [SkippableFact]
    public async Task Fill_ETagChangesWhileTheServerIsDown_TheCheckpointIsDroppedAndOnlyTheNewContentStored()
    {
        Skip.If(TestBackends.Shared, "resumes from a checkpoint file in the local tmp/; on S3 an interrupted fill starts over");
        var before = TestData.Bytes(300_000, seed: 34);
        var after = TestData.Bytes(300_000, seed: 35);

        // The first answer sends 100 000 bytes and then nothing: slow, not stalled, under a one-minute idle timeout.
        _origin.Map("/weekly.tar", hit => hit == 1
            ? new OriginFile(before) { ETag = "\"build-1\"", Cut = OriginCut.Stall, CutAfter = _ => 100_000 }
            : new OriginFile(after) { ETag = "\"build-2\"" });
        var url = _origin.Url("/weekly.tar");
        await using var server = await ServerHost.StartAsync(_dir.Path, s => s["Fetch:IdleTimeout"] = "00:01:00");
        await server.MissAsync(url);
        await Poll.UntilAsync(() => server.TempFiles() is [var partial] && new FileInfo(partial).Length == 100_000);

        await server.StopAsync();
        Assert.Equal(100_000, new FileInfo(Assert.Single(server.TempFiles())).Length);
        await server.RestartAsync();

        await AssertFilledWithAsync(server, url, after);
        var resumed = _origin.RequestsTo("/weekly.tar")[1];
        Assert.Equal("bytes=100000-", resumed.Header("Range"));
        Assert.Equal("\"build-1\"", resumed.Header("If-Range"));
    }

    /// <summary>
    /// The first version fits in --max-bytes and is admitted; the one the retry gets does not. With its length
    /// announced the fill stops at its headers; without (chunked) it is refused when it would be committed.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Fill_ETagChangesToALargerFileThatDoesNotFit_FailsCacheFullInsteadOfOverfilling(bool lengthAnnounced)
    {
        _origin.Map("/nightly.iso", hit => hit == 1
            ? new OriginFile(TestData.Bytes(100_000, seed: 32)) { ETag = "\"build-1\"", CutAfter = _ => 40_000 }
            : new OriginFile(TestData.Bytes(200_000, seed: 33)) { ETag = "\"build-2\"", SendLength = lengthAnnounced });
        var url = _origin.Url("/nightly.iso");
        await using var server = await ServerHost.StartAsync(_dir.Path, s => s["WithCache:MaxBytes"] = "150000");

        await server.MissAsync(url);

        Assert.StartsWith("cache full", await AssertFailedAsync(server, url), StringComparison.Ordinal);
        Assert.Equal((0, 0, 150_000), server.Get<CacheOperations>().Capacity);
    }

    private string Serve(string path, OriginFile file)
    {
        _origin.Map(path, file);
        return _origin.Url(path);
    }

    /// <summary>A chunked 200 that sends <paramref name="body"/> in 1000-byte chunks and closes without the last chunk.</summary>
    private static byte[] CutChunked(byte[] body, bool cutInsideAChunk)
    {
        var bytes = new List<byte>(RawOrigin.Head("200 OK", "Transfer-Encoding: chunked"));
        for (var offset = 0; offset < body.Length; offset += 1_000)
        {
            bytes.AddRange(RawOrigin.Chunk(body.AsSpan(offset, Math.Min(1_000, body.Length - offset))));
        }

        if (cutInsideAChunk)
        {
            bytes.AddRange(Encoding.ASCII.GetBytes("3e8\r\n"));
            bytes.AddRange(body.AsSpan(0, 400));
        }

        return [.. bytes];
    }

    /// <summary>The job completed; the hit, its ETag and the one blob on disk all hash to <paramref name="expected"/>; tmp/ is empty.</summary>
    internal static async Task AssertFilledWithAsync(ServerHost server, string origin, byte[] expected)
    {
        var job = await server.WaitForJobAsync(origin);
        Assert.True(job.Job.State == JobState.Completed, $"{job.Job.State}: {job.Job.Reason}");
        var sha = TestData.Sha256Hex(expected);
        using var hit = await server.Client.GetAsync(ServerHost.FetchPath(origin));
        Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
        Assert.Equal(sha, TestData.Sha256Hex(await hit.Content.ReadAsByteArrayAsync()));
        Assert.Equal($"\"{sha}\"", hit.Headers.ETag?.Tag);
        var blob = Assert.Single(server.BlobFiles());
        Assert.Equal(sha, Path.GetFileName(blob));
        Assert.Equal(sha, TestData.Sha256Hex(await server.ReadBlobAsync(blob)));
        Assert.Empty(server.TempFiles());
    }

    /// <summary>
    /// The job failed; nothing of it is in blobs/ or tmp/ or the catalog; the Downloads page shows its reason.
    /// Returns the reason. (No second miss: a transient failure would queue a new fill.)
    /// </summary>
    internal static async Task<string> AssertFailedAsync(ServerHost server, string origin)
    {
        var job = await server.WaitForJobAsync(origin);
        Assert.Equal(JobState.Failed, job.Job.State);
        var reason = Assert.IsType<string>(job.Job.Reason);
        Assert.Empty(server.BlobFiles());
        Assert.Empty(server.TempFiles());
        Assert.Equal(0, server.Get<CacheOperations>().CountArtifacts());
        using var operatorClient = new OperatorClient(server.BaseUrl);
        var page = await operatorClient.Http.GetStringAsync("/admin/downloads");
        Assert.Contains(WebUtility.HtmlEncode(reason), page, StringComparison.Ordinal);
        return reason;
    }
}
