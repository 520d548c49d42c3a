using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using WithCache.Server.Catalog;
using WithCache.Server.Tests.Downloads;
using WithCache.Server.Tests.TestSupport;

namespace WithCache.Server.Tests.Observability;

public sealed class RequestLogTests : IAsyncLifetime
{
    private const string Signature = "sig-Zq81rT5";
    private const string Category = "WithCache.Requests";

    private readonly TempDir _dir = new();
    private readonly RecordingLoggerProvider _logs = new();
    private ArtifactOrigin _origin = null!;

    public async Task InitializeAsync() => _origin = await ArtifactOrigin.StartAsync();

    public async Task DisposeAsync()
    {
        await _origin.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Hit_AtDebug_LogsOneLineWithRouteKindStatusAndBytes_AndNoUrlOrToken()
    {
        await using var server = await StartAsync("Debug");
        var body = TestData.Bytes(2048);
        var origin = _origin.Add("/private/firmware.bin", body) + "?X-Amz-Signature=" + Signature;
        await server.MissAsync(origin);
        await server.WaitForJobAsync(origin, JobState.Completed);
        var path = ServerHost.FetchPath(origin);

        using (var hit = await server.Client.GetAsync(path))
        {
            Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
        }

        using (await server.Client.GetAsync("/healthz"))
        {
        }

        await Poll.UntilAsync(() => RequestLines().Any(l => l.Contains("GET healthz", StringComparison.Ordinal)), "the healthz line");
        var lines = RequestLines();
        Assert.Contains(lines, l => l.Contains("GET fetch - 404 ", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Contains("GET fetch - 200 2048 bytes ", StringComparison.Ordinal) && l.StartsWith("Debug ", StringComparison.Ordinal));
        var token = path.Split('/')[2];
        Assert.All(lines, l =>
        {
            Assert.DoesNotContain(token, l, StringComparison.Ordinal);
            Assert.DoesNotContain(Signature, l, StringComparison.Ordinal);
            Assert.DoesNotContain("firmware", l, StringComparison.Ordinal);
            Assert.DoesNotContain("/b/", l, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task UiRequest_LogsItsRouteTemplate()
    {
        await using var server = await StartAsync("Information");

        long pageBytes;
        using (var page = await server.Client.GetAsync("/login?returnUrl=%2Fadmin%2Fmisses"))
        {
            pageBytes = (await page.Content.ReadAsByteArrayAsync()).Length;
        }

        await Poll.UntilAsync(() => RequestLines().Any(l => l.Contains("GET ui /login 200 ", StringComparison.Ordinal)), "the login line");
        Assert.DoesNotContain(RequestLines(), l => l.Contains("returnUrl", StringComparison.Ordinal));

        // A page written without a Content-Length still logs the bytes it sent.
        Assert.True(pageBytes > 0);
        Assert.Single(RequestLines(), l => l.Contains($"GET ui /login 200 {pageBytes} bytes ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ReadPath_AtInformation_IsNotLoggedButScrapeIs()
    {
        await using var server = await StartAsync("Information");
        var origin = _origin.Add("/busy.bin", TestData.Bytes(10));

        (await server.WaitForHitAsync(origin)).Dispose();
        using (await server.Client.GetAsync("/healthz"))
        {
        }

        await MetricsScrape.TakeAsync(server);

        await Poll.UntilAsync(() => RequestLines().Any(l => l.Contains("GET metrics - 200 ", StringComparison.Ordinal)), "the metrics line");
        Assert.Single(RequestLines());
    }

    [Fact]
    public async Task RequestLog_SetToNone_WritesNothing()
    {
        await using var server = await StartAsync("None");
        var origin = _origin.Add("/quiet.bin", TestData.Bytes(10));

        (await server.WaitForHitAsync(origin)).Dispose();
        await MetricsScrape.TakeAsync(server);

        Assert.Empty(RequestLines());
    }

    private Task<ServerHost> StartAsync(string level) => ServerHost.StartAsync(
        _dir.Path,
        s => s[$"Logging:LogLevel:{Category}"] = level,
        b => b.Logging.AddProvider(_logs));

    private List<string> RequestLines() => [.. _logs.Lines.Where(l => l.Contains($" {Category}[1700] ", StringComparison.Ordinal))];
}
