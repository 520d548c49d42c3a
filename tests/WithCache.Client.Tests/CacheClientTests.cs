using System.Diagnostics;
using System.Net;
using WithCache.Client.Tests.TestSupport;
using WithCache.Core;

namespace WithCache.Client.Tests;

public sealed class CacheClientTests
{
    private static readonly TimeSpan ShortTimeout = TimeSpan.FromMilliseconds(300);

    // Generous on purpose: these bounds check "gave up instead of hanging", not speed.
    private static readonly TimeSpan GaveUpBound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ServeUrlAsync_MissThenFill_ReturnsFetchUrlServingTheOriginBytes()
    {
        await using var origin = await ArtifactOrigin.StartAsync();
        await using var cache = await CacheHost.StartAsync();
        var body = RandomBytes(64 * 1024);
        var url = origin.Add("/vendor/cuda_12.4.run", body) + "?sig=abc&x=1";
        using var client = new CacheClient();

        var first = await client.ServeUrlAsync(cache.BaseUrl, url);

        Assert.Null(first);
        await WaitUntilAsync(() => origin.RequestsFor("/vendor/cuda_12.4.run") > 0);
        var hit = await WaitForHitAsync(client, cache.BaseUrl, url);
        using var http = new HttpClient();
        Assert.Equal(body, await http.GetByteArrayAsync(hit));
    }

    [Fact]
    public async Task ServeUrlAsync_Hit_IsCoresFetchUrlKeepingNameAndQuery()
    {
        await using var origin = await ArtifactOrigin.StartAsync();
        await using var cache = await CacheHost.StartAsync();
        var url = origin.Add("/pub/driver%20v2.tar.gz", RandomBytes(1000)) + "?token=a%2Fb&v=2";
        using var client = new CacheClient();

        var hit = await WaitForHitAsync(client, cache.BaseUrl, url);

        Assert.True(ServerAddress.TryNormalize(cache.BaseUrl, out var serverBase, out _));
        Assert.True(OriginUrl.TryParse(url, out var parsed, out _));
        Assert.Equal(FetchUrl.Build(serverBase, parsed), hit.OriginalString);
        Assert.EndsWith("/driver%20v2.tar.gz", hit.AbsolutePath, StringComparison.Ordinal);
        Assert.Equal("?token=a%2Fb&v=2", hit.Query);
    }

    [Fact]
    public async Task IsCachedAsync_BeforeAndAfterTheFill_FalseThenTrue()
    {
        await using var origin = await ArtifactOrigin.StartAsync();
        await using var cache = await CacheHost.StartAsync();
        var url = origin.Add("/firmware.bin", RandomBytes(4096));
        using var client = new CacheClient();

        Assert.False(await client.IsCachedAsync(cache.BaseUrl, url));

        await WaitForHitAsync(client, cache.BaseUrl, url);
        Assert.True(await client.IsCachedAsync(cache.BaseUrl, url));
    }

    [Fact]
    public async Task IsHealthyAsync_RunningServer_True()
    {
        await using var cache = await CacheHost.StartAsync();
        using var client = new CacheClient();

        Assert.True(await client.IsHealthyAsync(cache.BaseUrl));
    }

    [Fact]
    public async Task IsHealthyAsync_RefusedPort_False()
    {
        using var client = new CacheClient(options: new() { ProbeTimeout = ShortTimeout });

        Assert.False(await client.IsHealthyAsync(RefusedPort.Server()));
    }

    [Fact]
    public async Task ServeUrlAsync_RefusedPort_NullWithinTheTimeout()
    {
        using var client = new CacheClient(options: new() { ProbeTimeout = ShortTimeout });
        var clock = Stopwatch.StartNew();

        var url = await client.ServeUrlAsync(RefusedPort.Server(), "https://vendor.example/cuda.run");

        Assert.Null(url);
        Assert.True(clock.Elapsed < GaveUpBound, $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task ServeUrlAsync_SilentPort_NullWithinTheTimeout()
    {
        using var silent = new SilentPort();
        using var client = new CacheClient(options: new() { ProbeTimeout = ShortTimeout });
        var clock = Stopwatch.StartNew();

        var url = await client.ServeUrlAsync(silent.Server, "https://vendor.example/cuda.run");

        Assert.Null(url);
        Assert.True(clock.Elapsed < GaveUpBound, $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task IsHealthyAsync_SilentPort_FalseWithinTheTimeout()
    {
        using var silent = new SilentPort();
        using var client = new CacheClient(options: new() { ProbeTimeout = ShortTimeout });
        var clock = Stopwatch.StartNew();

        Assert.False(await client.IsHealthyAsync(silent.Server));
        Assert.True(clock.Elapsed < GaveUpBound, $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task ServeUrlAsync_CallersHttpClientTimesOut_NullNotAnException()
    {
        using var silent = new SilentPort();
        using var http = new HttpClient { Timeout = ShortTimeout };
        using var client = new CacheClient(http, new() { ProbeTimeout = Timeout.InfiniteTimeSpan });

        Assert.Null(await client.ServeUrlAsync(silent.Server, "https://vendor.example/cuda.run"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("ftp://cache.example:3000")]
    [InlineData("http://")]
    [InlineData("http://user@cache.example:3000")]
    [InlineData("cache.example:99999")]
    [InlineData("cache.example:port")]
    [InlineData("cache.example:3000?x=1")]
    [InlineData("cache.example:3000#top")]
    [InlineData("cache example:3000")]
    [InlineData("http://[::1:3000")]
    public async Task ServeUrlAsync_MalformedServer_NullWithoutARequest(string server)
    {
        using var handler = new CountingHandler();
        using var http = new HttpClient(handler);
        using var client = new CacheClient(http);

        Assert.Null(await client.ServeUrlAsync(server, "https://vendor.example/cuda.run"));
        Assert.False(await client.IsCachedAsync(server, "https://vendor.example/cuda.run"));
        Assert.False(await client.IsHealthyAsync(server));
        Assert.Empty(handler.Sent);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ftp://vendor.example/cuda.run")]
    [InlineData("file:///etc/passwd")]
    [InlineData("/pub/cuda.run")]
    [InlineData("vendor.example/cuda.run")]
    [InlineData("http://user:secret@vendor.example/cuda.run")]
    [InlineData("https://token@vendor.example/cuda.run")]
    [InlineData("http:///cuda.run")]
    [InlineData("http://vendor.example:0/cuda.run")]
    [InlineData("http://vendor.example/cuda\n.run")]
    public async Task ServeUrlAsync_MalformedOrigin_NullWithoutARequest(string origin)
    {
        using var handler = new CountingHandler();
        using var http = new HttpClient(handler);
        using var client = new CacheClient(http);

        Assert.Null(await client.ServeUrlAsync("cache.example:3000", origin));
        Assert.False(await client.IsCachedAsync("cache.example:3000", origin));
        Assert.Empty(handler.Sent);
    }

    [Fact]
    public async Task ServeUrlAsync_OriginLongerThanTheProtocolAllows_NullWithoutARequest()
    {
        using var handler = new CountingHandler();
        using var http = new HttpClient(handler);
        using var client = new CacheClient(http);
        var origin = "https://vendor.example/" + new string('a', OriginUrl.MaxBytes);

        Assert.Null(await client.ServeUrlAsync("cache.example:3000", origin));
        Assert.Empty(handler.Sent);
    }

    [Fact]
    public async Task Probes_CallersHttpClient_CarriesThem()
    {
        await using var cache = await CacheHost.StartAsync();
        using var handler = new CountingHandler();
        using var http = new HttpClient(handler);
        using var client = new CacheClient(http);
        const string Origin = "https://vendor.example/rocm.deb";

        Assert.Null(await client.ServeUrlAsync(cache.BaseUrl, Origin));
        Assert.True(await client.IsHealthyAsync(cache.BaseUrl));

        Assert.True(ServerAddress.TryNormalize(cache.BaseUrl, out var serverBase, out _));
        Assert.True(OriginUrl.TryParse(Origin, out var parsed, out _));
        Assert.Collection(
            handler.Sent,
            probe =>
            {
                Assert.Equal(HttpMethod.Head, probe.Method);
                Assert.Equal(FetchUrl.Build(serverBase, parsed), probe.Url?.OriginalString);
            },
            health =>
            {
                Assert.Equal(HttpMethod.Get, health.Method);
                Assert.Equal(serverBase + "/healthz", health.Url?.OriginalString);
            });
    }

    [Fact]
    public async Task Probes_ExtraHeaders_ReachTheCacheHost()
    {
        await using var stub = await StubCache.StartAsync(200);
        var options = new CacheClientOptions { Headers = { ["X-Lab-Token"] = "s3cret", ["X-Lab-Site"] = "bench 4" } };
        using var client = new CacheClient(options: options);

        Assert.NotNull(await client.ServeUrlAsync(stub.BaseUrl, "https://vendor.example/doca.iso"));
        Assert.True(await client.IsHealthyAsync(stub.BaseUrl));

        Assert.Equal(2, stub.Requests.Count);
        Assert.All(stub.Requests, r =>
        {
            Assert.Equal("s3cret", r.Headers["X-Lab-Token"]);
            Assert.Equal("bench 4", r.Headers["X-Lab-Site"]);
        });
        Assert.Equal("HEAD", stub.Requests[0].Method);
        Assert.StartsWith(FetchUrl.RoutePrefix, stub.Requests[0].PathAndQuery, StringComparison.Ordinal);
        Assert.Equal("GET", stub.Requests[1].Method);
        Assert.Equal("/healthz", stub.Requests[1].PathAndQuery);
    }

    [Fact]
    public async Task Constructor_OptionsChangedLater_KeepsTheCopy()
    {
        await using var stub = await StubCache.StartAsync(200);
        var options = new CacheClientOptions { Headers = { ["X-Lab-Token"] = "first" } };
        using var client = new CacheClient(options: options);
        options.Headers["X-Lab-Token"] = "second";

        await client.IsHealthyAsync(stub.BaseUrl);

        Assert.Equal("first", Assert.Single(stub.Requests).Headers["X-Lab-Token"]);
    }

    [Theory]
    [InlineData(204)]
    [InlineData(206)]
    [InlineData(301)]
    [InlineData(304)]
    [InlineData(400)]
    [InlineData(404)]
    [InlineData(500)]
    [InlineData(503)]
    public async Task ServeUrlAsync_AnswerOtherThan200_Null(int status)
    {
        await using var stub = await StubCache.StartAsync(status);
        using var client = new CacheClient();

        Assert.Null(await client.ServeUrlAsync(stub.BaseUrl, "https://vendor.example/cuda.run"));
        Assert.False(await client.IsCachedAsync(stub.BaseUrl, "https://vendor.example/cuda.run"));
    }

    [Theory]
    [InlineData(200, true)]
    [InlineData(204, true)]
    [InlineData(404, false)]
    [InlineData(500, false)]
    [InlineData(503, false)]
    public async Task IsHealthyAsync_Status_SuccessOnly2xx(int status, bool healthy)
    {
        await using var stub = await StubCache.StartAsync(status);
        using var client = new CacheClient();

        Assert.Equal(healthy, await client.IsHealthyAsync(stub.BaseUrl));
    }

    [Fact]
    public async Task ServeUrlAsync_CallerCancelsWhileTheCacheIsSilent_ThrowsWithTheCallersToken()
    {
        using var silent = new SilentPort();
        using var client = new CacheClient(options: new() { ProbeTimeout = TimeSpan.FromSeconds(60) });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => client.ServeUrlAsync(silent.Server, "https://vendor.example/cuda.run", cancel.Token));

        Assert.Equal(cancel.Token, error.CancellationToken);
    }

    [Fact]
    public async Task IsCachedAndIsHealthy_CallerCancels_Throw()
    {
        using var silent = new SilentPort();
        using var client = new CacheClient(options: new() { ProbeTimeout = TimeSpan.FromSeconds(60) });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => client.IsCachedAsync(silent.Server, "https://vendor.example/cuda.run", cancel.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.IsHealthyAsync(silent.Server, cancel.Token));
    }

    [Fact]
    public async Task ServeUrlAsync_AlreadyCancelled_ThrowsWithoutARequest()
    {
        using var handler = new CountingHandler();
        using var http = new HttpClient(handler);
        using var client = new CacheClient(http);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => client.ServeUrlAsync(RefusedPort.Server(), "https://vendor.example/cuda.run", new CancellationToken(canceled: true)));
        Assert.Empty(handler.Sent);
    }

    [Fact]
    public void PublicMethods_NullArguments_ThrowArgumentNullExceptionAtOnce()
    {
        using var client = new CacheClient();

        // null! on purpose: the argument checks are what is under test.
        Assert.Equal("server", Assert.Throws<ArgumentNullException>(() => { _ = client.ServeUrlAsync(null!, "https://vendor.example/a"); }).ParamName);
        Assert.Equal("origin", Assert.Throws<ArgumentNullException>(() => { _ = client.ServeUrlAsync("cache:3000", null!); }).ParamName);
        Assert.Equal("server", Assert.Throws<ArgumentNullException>(() => { _ = client.IsCachedAsync(null!, "https://vendor.example/a"); }).ParamName);
        Assert.Equal("origin", Assert.Throws<ArgumentNullException>(() => { _ = client.IsCachedAsync("cache:3000", null!); }).ParamName);
        Assert.Equal("server", Assert.Throws<ArgumentNullException>(() => { _ = client.IsHealthyAsync(null!); }).ParamName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Constructor_ProbeTimeoutNotPositive_Throws(int milliseconds)
    {
        var options = new CacheClientOptions { ProbeTimeout = TimeSpan.FromMilliseconds(milliseconds) };

        Assert.Throws<ArgumentOutOfRangeException>(() => new CacheClient(options: options));
    }

    [Fact]
    public void Constructor_InfiniteProbeTimeout_Accepted()
    {
        using var client = new CacheClient(options: new() { ProbeTimeout = Timeout.InfiniteTimeSpan });
    }

    [Theory]
    [InlineData("Bad Name", "x")]
    [InlineData("", "x")]
    [InlineData("Content-Type", "text/plain")]
    [InlineData("X-Lab", "a\r\nInjected: yes")]
    public void Constructor_InvalidHeader_ThrowsArgumentException(string name, string value)
    {
        var options = new CacheClientOptions { Headers = { [name] = value } };

        Assert.Throws<ArgumentException>(() => new CacheClient(options: options));
    }

    [Fact]
    public async Task Dispose_CallersHttpClient_StaysUsable()
    {
        await using var stub = await StubCache.StartAsync(200);
        using var http = new HttpClient();
        var client = new CacheClient(http);
        Assert.True(await client.IsHealthyAsync(stub.BaseUrl));

        client.Dispose();

        using var response = await http.GetAsync(new Uri(stub.BaseUrl + "/healthz"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Asks until the cache serves the origin (its auto-fill finished); fails after a generous deadline.</summary>
    private static async Task<Uri> WaitForHitAsync(CacheClient client, string server, string origin)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (await client.ServeUrlAsync(server, origin) is { } url)
            {
                return url;
            }

            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), "the cache never filled " + origin);
            await Task.Delay(50);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), "condition never held");
            await Task.Delay(20);
        }
    }
}
