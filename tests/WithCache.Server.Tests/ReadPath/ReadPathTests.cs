using System.Net;
using System.Net.Http.Headers;
using WithCache.Server.Tests.TestSupport;

namespace WithCache.Server.Tests.ReadPath;

public sealed class ReadPathTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private ArtifactOrigin _origin = null!;
    private ServerHost _server = null!;

    public async Task InitializeAsync()
    {
        _origin = await ArtifactOrigin.StartAsync();
        _server = await ServerHost.StartAsync(_dir.Path);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _origin.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Miss_ThenAutoFill_ServesOriginBytesWithEtagAndLength()
    {
        var body = TestData.Bytes(300_000);
        var origin = _origin.Add("/vendor/driver.run", body);

        using var first = await _server.Client.GetAsync(ServerHost.FetchPath(origin));
        Assert.Equal(HttpStatusCode.NotFound, first.StatusCode);
        Assert.Equal("miss", first.Headers.GetValues("X-WithCache").Single());

        using var hit = await _server.WaitForHitAsync(origin);
        Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
        Assert.Equal(body, await hit.Content.ReadAsByteArrayAsync());
        Assert.Equal(body.Length, hit.Content.Headers.ContentLength);
        Assert.Equal($"\"{TestData.Sha256Hex(body)}\"", hit.Headers.ETag!.Tag);
        Assert.False(hit.Headers.ETag.IsWeak);
        Assert.Equal("bytes", hit.Headers.AcceptRanges.Single());
        Assert.Equal("hit", hit.Headers.GetValues("X-WithCache").Single());
        Assert.Equal($"sha-256=:{Convert.ToBase64String(Convert.FromHexString(TestData.Sha256Hex(body)))}:", hit.Headers.GetValues("Repr-Digest").Single());
        Assert.NotNull(hit.Content.Headers.LastModified);
        Assert.Equal(1, _origin.RequestsFor("/vendor/driver.run"));
    }

    [Fact]
    public async Task Head_OnHit_HasGetHeadersWithoutBody()
    {
        var body = TestData.Bytes(5000);
        var origin = _origin.Add("/h.bin", body);
        (await _server.WaitForHitAsync(origin)).Dispose();

        using var get = await _server.Client.GetAsync(ServerHost.FetchPath(origin));
        using var head = await _server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, ServerHost.FetchPath(origin)));

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(get.Content.Headers.ContentLength, head.Content.Headers.ContentLength);
        Assert.Equal(get.Headers.ETag, head.Headers.ETag);
        Assert.Equal(get.Content.Headers.LastModified, head.Content.Headers.LastModified);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("bytes=0-99", 0, 100)]
    [InlineData("bytes=1000-1999", 1000, 1000)]
    [InlineData("bytes=-500", 9500, 500)]
    [InlineData("bytes=9900-", 9900, 100)]
    [InlineData("bytes=9990-20000", 9990, 10)]
    public async Task Range_Satisfiable_Answers206WithThoseBytes(string range, int start, int length)
    {
        var body = TestData.Bytes(10_000, seed: 7);
        var origin = _origin.Add("/range.bin", body);
        (await _server.WaitForHitAsync(origin)).Dispose();
        using var request = new HttpRequestMessage(HttpMethod.Get, ServerHost.FetchPath(origin));
        request.Headers.TryAddWithoutValidation("Range", range);

        using var response = await _server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(body.AsSpan(start, length).ToArray(), await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(new ContentRangeHeaderValue(start, start + length - 1, body.Length), response.Content.Headers.ContentRange);
    }

    [Fact]
    public async Task Range_PastTheEnd_Answers416()
    {
        var origin = _origin.Add("/r416.bin", TestData.Bytes(100));
        (await _server.WaitForHitAsync(origin)).Dispose();
        using var request = new HttpRequestMessage(HttpMethod.Get, ServerHost.FetchPath(origin));
        request.Headers.TryAddWithoutValidation("Range", "bytes=500-600");

        using var response = await _server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
        Assert.Equal(100, response.Content.Headers.ContentRange!.Length);
    }

    [Fact]
    public async Task Conditional_IfNoneMatchCurrentEtag_Answers304_IfMatchOther_Answers412()
    {
        var origin = _origin.Add("/cond.bin", TestData.Bytes(100));
        using var hit = await _server.WaitForHitAsync(origin);
        using var notModified = new HttpRequestMessage(HttpMethod.Get, ServerHost.FetchPath(origin));
        notModified.Headers.IfNoneMatch.Add(hit.Headers.ETag!);
        using var mismatch = new HttpRequestMessage(HttpMethod.Get, ServerHost.FetchPath(origin));
        mismatch.Headers.IfMatch.Add(new EntityTagHeaderValue("\"other\""));

        using var response304 = await _server.Client.SendAsync(notModified);
        using var response412 = await _server.Client.SendAsync(mismatch);

        Assert.Equal(HttpStatusCode.NotModified, response304.StatusCode);
        Assert.Equal(HttpStatusCode.PreconditionFailed, response412.StatusCode);
    }

    [Fact]
    public async Task IfRange_StaleEtag_SendsWholeBody()
    {
        var body = TestData.Bytes(2000);
        var origin = _origin.Add("/ifrange.bin", body);
        (await _server.WaitForHitAsync(origin)).Dispose();
        using var request = new HttpRequestMessage(HttpMethod.Get, ServerHost.FetchPath(origin));
        request.Headers.TryAddWithoutValidation("Range", "bytes=0-9");
        request.Headers.TryAddWithoutValidation("If-Range", "\"stale\"");

        using var response = await _server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task BlobUrl_Hit_NamesTheFileAfterTheOrigin()
    {
        var body = TestData.Bytes(64);
        var origin = _origin.Add("/dir/cuda%20toolkit.run", body);
        (await _server.WaitForHitAsync(origin)).Dispose();

        using var response = await _server.Client.GetAsync("/blob?url=" + Uri.EscapeDataString(origin));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("cuda toolkit.run", response.Content.Headers.ContentDisposition!.FileNameStar ?? response.Content.Headers.ContentDisposition.FileName!.Trim('"'));
    }

    [Fact]
    public async Task BlobUrl_Miss_Answers404AndQueuesFill()
    {
        var origin = _origin.Add("/via-blob.bin", TestData.Bytes(64));

        using var miss = await _server.Client.GetAsync("/blob?url=" + Uri.EscapeDataString(origin));

        Assert.Equal(HttpStatusCode.NotFound, miss.StatusCode);
        using var hit = await _server.WaitForHitAsync(origin);
        Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
    }

    [Fact]
    public async Task Healthz_Always_Answers200()
    {
        using var response = await _server.Client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ConcurrentMisses_FiftyForOneUrl_OneOriginRequest()
    {
        var origin = _origin.Add("/popular.iso", TestData.Bytes(200_000));
        _origin.Hold("/popular.iso");

        var misses = await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Head, ServerHost.FetchPath(origin));
            using var response = await _server.Client.SendAsync(request);
            return response.StatusCode;
        }));
        _origin.Release("/popular.iso");

        Assert.All(misses, status => Assert.Equal(HttpStatusCode.NotFound, status));
        using var hit = await _server.WaitForHitAsync(origin);
        Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
        Assert.Equal(1, _origin.RequestsFor("/popular.iso"));
    }

    [Fact]
    public async Task DeadOrigin_HundredMissesOf404_AtMostAHandfulOfOriginRequests()
    {
        var origin = _origin.AddStatus("/gone.bin", 404);

        for (var i = 0; i < 100; i++)
        {
            using var response = await _server.Client.GetAsync(ServerHost.FetchPath(origin));
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            if (i % 10 == 0)
            {
                await Task.Delay(30);
            }
        }

        await Task.Delay(300);
        Assert.InRange(_origin.RequestsFor("/gone.bin"), 1, 3);
    }

    [Fact]
    public async Task ShortBody_OriginAlwaysCutsShort_NeverServed()
    {
        var origin = _origin.Add("/short.bin", TestData.Bytes(100_000));
        _origin.CutShort("/short.bin");

        using var miss = await _server.Client.GetAsync(ServerHost.FetchPath(origin));
        await Task.Delay(1500);
        using var after = await _server.Client.GetAsync(ServerHost.FetchPath(origin));

        Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
        Assert.Empty(_server.BlobFiles());
    }

    [SkippableTheory]
    [InlineData(1_000)]
    [InlineData(3 * 1024 * 1024)]
    public async Task BlobCutShortOnDisk_ResponseIsAbortedNotPadded(int size)
    {
        Skip.If(TestBackends.Shared, TestBackends.SharedSkipReason);
        var body = TestData.Bytes(size, seed: size);
        var origin = _origin.Add($"/cut-{size}.bin", body);
        (await _server.WaitForHitAsync(origin)).Dispose();
        var blob = Directory.EnumerateFiles(Path.Combine(_dir.Path, "blobs"), "*", SearchOption.AllDirectories).Single();
        File.SetUnixFileMode(blob, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await using (var file = new FileStream(blob, FileMode.Open, FileAccess.Write))
        {
            file.SetLength(size / 2);
        }

        using var response = await _server.Client.GetAsync(ServerHost.FetchPath(origin), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(size, response.Content.Headers.ContentLength);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => response.Content.ReadAsByteArrayAsync());
    }
}
