using System.Net;
using System.Net.Http.Headers;
using WithCache.Server.Catalog;
using WithCache.Server.Tests.TestSupport;

namespace WithCache.Server.Tests.Observability;

public sealed class MetricsTests : IAsyncLifetime
{
    private const string Token = "metrics-token-7f3a";
    private const string FetchGetMiss = "withcache_read_request_duration_seconds_count{method=\"GET\",result=\"miss\"}";
    private const string FetchGetHit = "withcache_read_request_duration_seconds_count{method=\"GET\",result=\"hit\"}";
    private const string FetchHeadHit = "withcache_read_request_duration_seconds_count{method=\"HEAD\",result=\"hit\"}";
    private const string FillsCompleted = "withcache_fills_total{outcome=\"Completed\"}";

    private readonly TempDir _dir = new();
    private ArtifactOrigin _origin = null!;

    public async Task InitializeAsync() => _origin = await ArtifactOrigin.StartAsync();

    public async Task DisposeAsync()
    {
        await _origin.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Scrape_MissFillHit_MovesCountersByExactlyThoseAmounts()
    {
        await using var server = await ServerHost.StartAsync(_dir.Path, s => s["WithCache:MaxBytes"] = "1048576");
        var body = TestData.Bytes(123_457);
        var origin = _origin.Add("/tools/kit.tar", body);
        var before = await MetricsScrape.TakeAsync(server);

        await server.MissAsync(origin);
        await server.WaitForJobAsync(origin, JobState.Completed);
        using (var hit = await server.Client.GetAsync(ServerHost.FetchPath(origin)))
        {
            Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
            Assert.Equal(body, await hit.Content.ReadAsByteArrayAsync());
        }

        // The fill is counted just after its catalog row turns Completed, the hit just after its response: wait for both.
        var after = await ScrapeUntilAsync(server, s => s[FillsCompleted] > before[FillsCompleted] && s[FetchGetHit] > before[FetchGetHit]);
        Assert.Equal(1, after["withcache_hits_total"] - before["withcache_hits_total"]);
        Assert.Equal(1, after["withcache_misses_total"] - before["withcache_misses_total"]);
        Assert.Equal(body.Length, after["withcache_served_bytes_total"] - before["withcache_served_bytes_total"]);
        Assert.Equal(body.Length, after["withcache_filled_bytes_total"] - before["withcache_filled_bytes_total"]);
        Assert.Equal(1, after[FillsCompleted] - before[FillsCompleted]);
        Assert.Equal(0, after["withcache_fills_total{outcome=\"UpstreamNotFound\"}"]);
        Assert.Equal(1, after["withcache_fill_duration_seconds_count"] - before["withcache_fill_duration_seconds_count"]);
        Assert.Equal(1, after[FetchGetMiss] - before[FetchGetMiss]);
        Assert.Equal(1, after[FetchGetHit] - before[FetchGetHit]);
        Assert.Equal(body.Length, after["withcache_stored_bytes"]);
        Assert.Equal(0, after["withcache_reserved_bytes"]);
        Assert.Equal(0, after["withcache_queue_depth"]);
        Assert.Equal(0, after["withcache_fills_running"]);
        Assert.Equal(1_048_576, after["withcache_capacity_bytes"]);
    }

    [Fact]
    public async Task Scrape_HeadHitAndFailedFill_CountHitWithoutBytesAndFillOutcome()
    {
        await using var server = await ServerHost.StartAsync(_dir.Path);
        var body = TestData.Bytes(4096);
        var origin = _origin.Add("/probe.bin", body);
        var missing = _origin.AddStatus("/gone.bin", 404);
        (await server.WaitForHitAsync(origin)).Dispose();
        await server.MissAsync(missing);
        await server.WaitForJobAsync(missing, JobState.Failed);
        var before = await ScrapeUntilAsync(server, s => s["withcache_fills_total{outcome=\"UpstreamNotFound\"}"] == 1);

        using (var head = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, ServerHost.FetchPath(origin))))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        }

        var after = await ScrapeUntilAsync(server, s => s[FetchHeadHit] > before[FetchHeadHit]);
        Assert.Equal(1, after["withcache_hits_total"] - before["withcache_hits_total"]);
        Assert.Equal(0, after["withcache_served_bytes_total"] - before["withcache_served_bytes_total"]);
        Assert.Equal(1, after[FetchHeadHit] - before[FetchHeadHit]);
        Assert.Equal(1, after[FillsCompleted]);
        Assert.Equal(2, after["withcache_fill_duration_seconds_count"]);
        Assert.False(after.Has("withcache_capacity_bytes"));
    }

    [Fact]
    public async Task Scrape_WithTokenSet_RefusesMissingOrWrongTokenAndAdmitsTheRightOne()
    {
        await using var server = await ServerHost.StartAsync(_dir.Path, s => s["Metrics:Token"] = Token);

        using var none = await server.Client.GetAsync("/metrics");
        using var wrong = await SendAsync(server, new AuthenticationHeaderValue("Bearer", Token + "x"));
        using var shorter = await SendAsync(server, new AuthenticationHeaderValue("Bearer", Token[..^1]));
        using var basic = await SendAsync(server, new AuthenticationHeaderValue("Basic", Token));
        using var right = await SendAsync(server, new AuthenticationHeaderValue("Bearer", Token));

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, shorter.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, basic.StatusCode);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Contains("withcache_hits_total", await right.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scrape_WithoutToken_IsOpen()
    {
        await using var server = await ServerHost.StartAsync(_dir.Path);

        var scrape = await MetricsScrape.TakeAsync(server);

        Assert.Equal(0, scrape["withcache_hits_total"]);
    }

    private static Task<HttpResponseMessage> SendAsync(ServerHost server, AuthenticationHeaderValue authorization) =>
        MetricsScrape.RequestAsync(server.Client, authorization);

    private static async Task<MetricsScrape> ScrapeUntilAsync(ServerHost server, Func<MetricsScrape, bool> condition)
    {
        var scrape = await MetricsScrape.TakeAsync(server);
        var deadline = DateTime.UtcNow + Poll.Deadline;
        while (!condition(scrape) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(25);
            scrape = await MetricsScrape.TakeAsync(server);
        }

        return scrape;
    }
}
