using WithCache.Server.Downloads;
using WithCache.Server.Tests.TestSupport;
using static WithCache.Server.Tests.Downloads.OriginFetcherTests;

namespace WithCache.Server.Tests.Downloads;

/// <summary>Redirects followed by hand, and the fetch policy on the origin and on every hop.</summary>
public sealed class OriginFetcherRedirectTests
{
    [Fact]
    public async Task FetchAsync_RedirectChain_FollowsRelativeAndAbsoluteLocations()
    {
        var body = Bytes(50_000);
        await using var origin = await OriginServer.StartAsync();
        origin.MapRedirect("/start", "/middle", 302);
        origin.MapRedirect("/middle", origin.Url("/files/end.bin"), 301);
        origin.Map("/files/end.bin", new OriginFile(body));
        await using var harness = new FetchHarness();

        var result = await harness.FetchAsync(origin.Url("/start"));

        AssertCompletedWith(result, harness.TempPath, body);
        Assert.Equal(["/start", "/middle", "/files/end.bin"], origin.Requests.Select(r => r.Path));
    }

    [Theory]
    [InlineData(303)]
    [InlineData(307)]
    [InlineData(308)]
    public async Task FetchAsync_OtherRedirectStatuses_AreFollowedWithGet(int status)
    {
        var body = Bytes(1_000);
        await using var origin = await OriginServer.StartAsync();
        origin.MapRedirect("/a", "b/c.bin", status);
        origin.Map("/b/c.bin", new OriginFile(body));
        await using var harness = new FetchHarness();

        var result = await harness.FetchAsync(origin.Url("/a"));

        AssertCompletedWith(result, harness.TempPath, body);
        Assert.All(origin.Requests, r => Assert.Equal("GET", r.Method));
    }

    [Fact]
    public async Task FetchAsync_RedirectLoop_TooManyRedirectsWithoutRetrying()
    {
        await using var origin = await OriginServer.StartAsync();
        origin.MapRedirect("/ping", "/pong");
        origin.MapRedirect("/pong", origin.Url("/ping"));
        await using var harness = new FetchHarness();

        var result = await harness.FetchAsync(origin.Url("/ping"));

        Assert.Equal(DownloadOutcome.TooManyRedirects, result.Outcome);
        Assert.True(result.IsPermanentFailure);
        Assert.Equal($"redirect loop back to 127.0.0.1:{origin.Port}/ping", result.Reason);
        Assert.Equal(2, origin.Requests.Count);
        Assert.False(File.Exists(harness.TempPath));
    }

    [Fact]
    public async Task FetchAsync_MoreThanMaxRedirects_TooManyRedirects()
    {
        await using var origin = await OriginServer.StartAsync();
        for (var i = 0; i < 5; i++)
        {
            origin.MapRedirect($"/hop{i}", $"/hop{i + 1}");
        }

        origin.Map("/hop5", new OriginFile(Bytes(10)));
        await using var harness = new FetchHarness(o => o.MaxRedirects = 3);

        var result = await harness.FetchAsync(origin.Url("/hop0"));

        Assert.Equal(DownloadOutcome.TooManyRedirects, result.Outcome);
        Assert.Equal("more than 3 redirects", result.Reason);
        Assert.Equal(4, origin.Requests.Count);
    }

    [Fact]
    public async Task FetchAsync_ExactlyMaxRedirects_Completes()
    {
        var body = Bytes(10);
        await using var origin = await OriginServer.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            origin.MapRedirect($"/hop{i}", $"/hop{i + 1}");
        }

        origin.Map("/hop3", new OriginFile(body));
        await using var harness = new FetchHarness(o => o.MaxRedirects = 3);

        var result = await harness.FetchAsync(origin.Url("/hop0"));

        AssertCompletedWith(result, harness.TempPath, body);
    }

    [Fact]
    public async Task FetchAsync_RedirectWithoutLocation_UpstreamError()
    {
        await using var origin = await OriginServer.StartAsync();
        origin.MapStatus("/r", 302);
        await using var harness = new FetchHarness();

        var result = await harness.FetchAsync(origin.Url("/r"));

        Assert.Equal(DownloadOutcome.UpstreamError, result.Outcome);
        Assert.Equal("origin answered 302 Found without a Location", result.Reason);
        Assert.Single(origin.Requests);
    }

    [Fact]
    public async Task FetchAsync_RedirectToDeniedLoopbackAddress_RefusedAndTargetNeverContacted()
    {
        await using var denied = await OriginServer.StartAsync("127.0.0.2");
        denied.Map("/secret", new OriginFile(Bytes(10)));
        await using var origin = await OriginServer.StartAsync();
        origin.MapRedirect("/innocent", denied.Url("/secret"));
        await using var harness = new FetchHarness();

        var result = await harness.FetchAsync(origin.Url("/innocent"));

        Assert.Equal(DownloadOutcome.RefusedByPolicy, result.Outcome);
        Assert.True(result.IsPermanentFailure);
        Assert.Equal($"redirect to 127.0.0.2:{denied.Port} refused: 127.0.0.2 is a loopback address", result.Reason);
        Assert.Empty(denied.Requests);
        Assert.Single(origin.Requests);
        Assert.False(File.Exists(harness.TempPath));
    }

    [Fact]
    public async Task FetchAsync_RedirectToNameOfDeniedAddress_RefusedAtConnectTimeAndNeverContacted()
    {
        await using var target = await OriginServer.StartAsync("127.0.0.1");
        target.Map("/secret", new OriginFile(Bytes(10)));
        await using var origin = await OriginServer.StartAsync("127.0.0.2");
        origin.MapRedirect("/innocent", target.Url("/secret", host: "localhost"));
        await using var harness = new FetchHarness(o => o.AllowNetworks = ["127.0.0.2/32"]);

        var result = await harness.FetchAsync(origin.Url("/innocent"));

        Assert.Equal(DownloadOutcome.RefusedByPolicy, result.Outcome);
        Assert.Matches($@"^redirect to localhost:{target.Port} refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address$", result.Reason);
        Assert.Empty(target.Requests);
        Assert.Single(origin.Requests);
    }

    [Fact]
    public async Task FetchAsync_NameWithAllowedAndRefusedAddresses_DialsTheAllowedOne()
    {
        var body = Bytes(10);
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/f", new OriginFile(body));

        // localhost is 127.0.0.1 (allowed by the harness) and, on most hosts, ::1 (refused): only 127.0.0.1 is dialled.
        await using var harness = new FetchHarness();

        var result = await harness.FetchAsync(origin.Url("/f", host: "localhost"));

        AssertCompletedWith(result, harness.TempPath, body);
    }

    [Fact]
    public async Task FetchAsync_OriginOnDeniedAddress_RefusedWithoutAnyRequest()
    {
        await using var denied = await OriginServer.StartAsync("127.0.0.2");
        denied.Map("/f", new OriginFile(Bytes(10)));
        await using var harness = new FetchHarness();

        var result = await harness.FetchAsync(denied.Url("/f"));

        Assert.Equal(DownloadOutcome.RefusedByPolicy, result.Outcome);
        Assert.Equal("127.0.0.2 is a loopback address", result.Reason);
        Assert.Empty(denied.Requests);
        Assert.False(File.Exists(harness.TempPath));
    }

    [Fact]
    public async Task FetchAsync_LocalhostWithoutAllowedNetworks_RefusedAtConnectTimeWithoutAnyRequest()
    {
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/f", new OriginFile(Bytes(10)));
        await using var harness = new FetchHarness(o => o.AllowNetworks = []);

        var result = await harness.FetchAsync(origin.Url("/f", host: "localhost"));

        Assert.Equal(DownloadOutcome.RefusedByPolicy, result.Outcome);
        Assert.Matches(@"^localhost resolves to (127\.0\.0\.1|::1), a loopback address$", result.Reason);
        Assert.Empty(origin.Requests);
        Assert.False(File.Exists(harness.TempPath));
    }

    [Fact]
    public async Task FetchAsync_AllowPrivate_ReachesLoopbackOrigin()
    {
        var body = Bytes(1_000);
        await using var lab = await OriginServer.StartAsync("127.0.0.2");
        lab.Map("/mirror.bin", new OriginFile(body));
        await using var harness = new FetchHarness(o =>
        {
            o.AllowNetworks = [];
            o.AllowPrivate = true;
        });

        var result = await harness.FetchAsync(lab.Url("/mirror.bin"));

        AssertCompletedWith(result, harness.TempPath, body);
    }

    [Fact]
    public async Task FetchAsync_RedirectToFtp_RefusedByPolicy()
    {
        await using var origin = await OriginServer.StartAsync();
        origin.MapRedirect("/r", "ftp://ftp.example.com/pub/file.bin");
        await using var harness = new FetchHarness();

        var result = await harness.FetchAsync(origin.Url("/r"));

        Assert.Equal(DownloadOutcome.RefusedByPolicy, result.Outcome);
        Assert.StartsWith("redirect to ftp.example.com refused: ", result.Reason);
    }

    [Fact]
    public async Task FetchAsync_RedirectToHostOutsideAllowHosts_Refused()
    {
        await using var origin = await OriginServer.StartAsync();
        origin.MapRedirect("/r", "http://elsewhere.example.net/file.bin");
        await using var harness = new FetchHarness(o => o.AllowHosts = ["127.0.0.1", "*.nvidia.com"]);

        var result = await harness.FetchAsync(origin.Url("/r"));

        Assert.Equal(DownloadOutcome.RefusedByPolicy, result.Outcome);
        Assert.Equal("redirect to elsewhere.example.net refused: host elsewhere.example.net is not in the allowed hosts", result.Reason);
    }
}
