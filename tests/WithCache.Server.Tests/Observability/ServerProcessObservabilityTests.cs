using System.Net;
using System.Net.Http.Headers;
using WithCache.Server.Tests.TestSupport;

namespace WithCache.Server.Tests.Observability;

/// <summary>The settings as an operator gives them: environment variables to the built <c>withcache-server</c>.</summary>
public sealed class ServerProcessObservabilityTests : IDisposable
{
    private const string Token = "env-token-Qp20x";
    private const string RequestLine = "WithCache.Requests[1700]";

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Environment_MetricsTokenAndRequestLogNone_AreHonoured()
    {
        var environment = new Dictionary<string, string>
        {
            ["WITHCACHE_METRICS_TOKEN"] = Token,
            ["Logging__LogLevel__WithCache.Requests"] = "None",
        };
        await using var server = await ServerProcess.StartAsync(_dir.Path, environment);

        using var refused = await server.Client.GetAsync("/metrics");
        using var admitted = await MetricsScrape.RequestAsync(server.Client, new AuthenticationHeaderValue("Bearer", Token));
        using var health = await server.Client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.DoesNotContain(RequestLine, server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Default_RequestLog_WritesScrapesButNotReadPath()
    {
        await using var server = await ServerProcess.StartAsync(_dir.Path);

        using var health = await server.Client.GetAsync("/healthz");
        using var scrape = await MetricsScrape.RequestAsync(server.Client, authorization: null);

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        await Poll.UntilAsync(() => server.Output.Contains(RequestLine + " GET metrics - 200 ", StringComparison.Ordinal), "the metrics request line");
        Assert.DoesNotContain(RequestLine + " GET healthz", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Environment_RequestLogDebug_AddsReadPathLines()
    {
        await using var server = await ServerProcess.StartAsync(_dir.Path, new Dictionary<string, string> { ["Logging__LogLevel__WithCache.Requests"] = "Debug" });

        using var health = await server.Client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        await Poll.UntilAsync(() => server.Output.Contains(RequestLine + " GET healthz - 200 3 bytes", StringComparison.Ordinal), "the healthz request line");
    }
}
