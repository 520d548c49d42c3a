using System.Diagnostics;
using System.Net;
using WithCache.Server.Tests.TestSupport;
using Xunit.Abstractions;

namespace WithCache.Server.Tests.Hosting;

/// <summary>
/// radosgw or PostgreSQL stopped under a running cache-host: hits and probes answer 503 within a bounded time (the
/// shims then fall through to the origin), readiness says which engine is away, and once it is back hits return
/// without a restart. Needs the engines started by tools/test.sh (WITHCACHE_TEST_SERVICES names their DIR).
/// </summary>
[Collection(EngineOutageCollection.Name)]
public sealed class EngineOutageTests : IAsyncLifetime
{
    private const string SkipReason = "needs the engines started by tools/test.sh as root (WITHCACHE_TEST_SERVICES unset)";

    /// <summary>How long a request may take to fail while an engine is down.</summary>
    private static readonly TimeSpan FailFast = TimeSpan.FromSeconds(15);

    private static readonly string? Services = Environment.GetEnvironmentVariable("WITHCACHE_TEST_SERVICES") is { Length: > 0 } dir ? dir : null;

    private readonly TempDir _dir = new();
    private readonly ITestOutputHelper _output;
    private ArtifactOrigin _origin = null!;

    public EngineOutageTests(ITestOutputHelper output) => _output = output;

    public async Task InitializeAsync() => _origin = await ArtifactOrigin.StartAsync();

    public async Task DisposeAsync()
    {
        // Whatever happened, leave both engines running for the tests after this one: every step is tried, and the
        // failures are reported once all have run.
        var failures = new List<Exception>();
        foreach (var action in Services is null ? Array.Empty<string>() : ["pg-thaw", "rgw-start", "pg-start"])
        {
            try
            {
                await OutageAsync(action);
            }
            catch (Exception e)
            {
                failures.Add(e);
            }
        }

        await _origin.DisposeAsync();
        _dir.Dispose();
        if (failures.Count > 0)
        {
            throw new AggregateException(failures);
        }
    }

    [SkippableFact]
    public async Task StoreDown_HitsAndProbesAnswer503Fast_ThenRecoverByThemselves()
    {
        Skip.If(Services is null || !TestBackends.EnginesAvailable, SkipReason);
        await using var server = await StartAsync();
        var body = TestData.Bytes(1_500_000);
        var url = await FillAsync(server, "/store/kit.tar", body);

        await OutageAsync("rgw-stop");
        await AssertUnavailableAsync(server, url, "blobs: unavailable");

        await OutageAsync("rgw-start");
        await AssertRecoversAsync(server, url, body);
    }

    [SkippableFact]
    public async Task StoreStoppedDuringAHit_TheResponseEndsInBoundedTimeAndNeverWithWrongBytes()
    {
        Skip.If(Services is null || !TestBackends.EnginesAvailable, SkipReason);
        await using var server = await StartAsync();
        var body = TestData.Bytes(64 * 1024 * 1024, seed: 9);
        var url = await FillAsync(server, "/store/large.iso", body);

        using var response = await server.Client.GetAsync(ServerHost.FetchPath(url), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var received = new MemoryStream();
        var buffer = new byte[1024 * 1024];
        await stream.ReadExactlyAsync(buffer);
        received.Write(buffer);

        await OutageAsync("rgw-stop");
        var clock = Stopwatch.StartNew();
        Exception? cut = null;
        try
        {
            using var bounded = new CancellationTokenSource(4 * FailFast);
            int read;
            while ((read = await stream.ReadAsync(buffer, bounded.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            cut = e;
        }

        clock.Stop();
        _output.WriteLine(cut is null
            ? $"radosgw finished the hit before stopping ({received.Length} bytes) in {clock.Elapsed}"
            : $"the hit was cut after {received.Length} of {body.Length} bytes, {clock.Elapsed} after radosgw was told to stop: {cut.Message}");

        // Either the connection was cut (the client sees a short, failed transfer) or radosgw finished sending
        // before it stopped: then every byte must be right. Never a complete-looking body with other bytes.
        if (cut is null)
        {
            Assert.Equal(body, received.ToArray());
        }
        else
        {
            Assert.True(received.Length < body.Length, $"cut after all {received.Length} bytes: {cut.Message}");
            Assert.Equal(body.AsSpan(0, (int)received.Length).ToArray(), received.ToArray());
        }

        Assert.True(clock.Elapsed < 2 * FailFast, $"the hit took {clock.Elapsed} to end after radosgw stopped");
        using (var next = await server.Client.GetAsync(ServerHost.FetchPath(url)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, next.StatusCode);
        }

        await OutageAsync("rgw-start");
        await AssertRecoversAsync(server, url, body);
    }

    [SkippableFact]
    public async Task CatalogDown_HitsMissesAndProbesAnswer503Fast_ThenRecoverByThemselves()
    {
        Skip.If(Services is null || !TestBackends.EnginesAvailable, SkipReason);
        await using var server = await StartAsync();
        var body = TestData.Bytes(700_000);
        var url = await FillAsync(server, "/catalog/kit.tar", body);
        var other = _origin.Add("/catalog/other.tar", TestData.Bytes(1000));

        await OutageAsync("pg-stop");
        await AssertUnavailableAsync(server, url, "catalog: unavailable");
        using (var miss = await server.Client.GetAsync(ServerHost.FetchPath(other)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, miss.StatusCode);
        }

        await OutageAsync("pg-start");
        await AssertRecoversAsync(server, url, body);
    }

    [SkippableFact]
    public async Task CatalogHangs_HitsAnswer503WithinTheReadTimeout_WhileLivenessAnswersAtOnce_ThenRecover()
    {
        Skip.If(Services is null || !TestBackends.EnginesAvailable, SkipReason);
        await using var server = await StartAsync();
        var body = TestData.Bytes(300_000);
        var url = await FillAsync(server, "/hung/kit.tar", body);

        await OutageAsync("pg-freeze");
        try
        {
            // More look-ups at once than the host has socket I/O threads: each one waits on a database that accepts
            // connections and then says nothing. None may hold its thread meanwhile.
            var clock = Stopwatch.StartNew();
            var hits = Enumerable.Range(0, (2 * Environment.ProcessorCount) + 2).Select(async _ =>
            {
                using var response = await server.Client.GetAsync(ServerHost.FetchPath(url));
                return (response.StatusCode, Took: clock.Elapsed);
            }).ToList();
            await Task.Delay(500);
            Assert.All(hits, hit => Assert.False(hit.IsCompleted, "a hit was answered while the catalog hung"));

            var liveClock = Stopwatch.StartNew();
            using var live = await server.Client.GetAsync("/healthz");
            var liveTook = liveClock.Elapsed;
            var readyClock = Stopwatch.StartNew();
            using var ready = await server.Client.GetAsync("/healthz/ready");
            var readyTook = readyClock.Elapsed;
            var answers = await Task.WhenAll(hits);

            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            Assert.True(liveTook < TimeSpan.FromSeconds(2), $"liveness took {liveTook} while look-ups waited on the catalog");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains("catalog: unavailable (postgres: no answer within 5 s)", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.True(readyTook < FailFast, $"readiness took {readyTook} while the catalog hung");
            Assert.All(answers, a => Assert.Equal(HttpStatusCode.ServiceUnavailable, a.StatusCode));
            Assert.All(answers, a => Assert.True(a.Took < FailFast, $"a hit took {a.Took} to fail while the catalog hung"));
        }
        finally
        {
            await OutageAsync("pg-thaw");
        }

        await AssertRecoversAsync(server, url, body);
    }

    [SkippableFact]
    public async Task JobsTableLocked_AMissAnswers503WithinTheReadTimeout_HitsStillServed_ThenItQueues()
    {
        Skip.If(Services is null || !TestBackends.EnginesAvailable, SkipReason);
        var catalog = TestBackends.NewCatalog();
        var blobs = await TestBackends.NewBlobsAsync();
        await using var server = await ServerHost.StartAsync(_dir.Path, s =>
        {
            s["WithCache:Catalog"] = catalog;
            s["WithCache:Blobs"] = blobs;
            s["WithCache:CatalogReadTimeout"] = "00:00:02";
        });
        var cachedBody = TestData.Bytes(200_000);
        var cached = await FillAsync(server, "/locked/cached.tar", cachedBody);
        var missing = _origin.Add("/locked/new.tar", TestData.Bytes(5000));

        // A long ALTER or VACUUM FULL on the jobs table: the look-up (artifacts) answers, the miss's job insert waits.
        await using (var locker = new Npgsql.NpgsqlConnection(catalog))
        {
            await locker.OpenAsync();
            await using var transaction = await locker.BeginTransactionAsync();
            await using (var lockJobs = new Npgsql.NpgsqlCommand("LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE", locker, transaction))
            {
                await lockJobs.ExecuteNonQueryAsync();
            }

            var clock = Stopwatch.StartNew();
            using var miss = await server.Client.GetAsync(ServerHost.FetchPath(missing));
            var missTook = clock.Elapsed;
            using var hit = await server.Client.GetAsync(ServerHost.FetchPath(cached));

            Assert.Equal(HttpStatusCode.ServiceUnavailable, miss.StatusCode);
            Assert.Equal("cache unavailable: the catalog cannot be reached; try again shortly\n", await miss.Content.ReadAsStringAsync());
            Assert.Equal("unavailable", miss.Headers.GetValues("X-WithCache").Single());
            Assert.True(missTook >= TimeSpan.FromSeconds(1.5) && missTook < FailFast, $"the miss took {missTook} (2 s read timeout) while the jobs table was locked");
            Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
            Assert.Equal(cachedBody, await hit.Content.ReadAsByteArrayAsync());
        }

        using var filled = await server.WaitForHitAsync(missing);
        Assert.Equal(HttpStatusCode.OK, filled.StatusCode);
        Assert.Equal(1, _origin.RequestsFor("/locked/new.tar"));
    }

    private async Task<ServerHost> StartAsync()
    {
        var catalog = TestBackends.NewCatalog();
        var blobs = await TestBackends.NewBlobsAsync();
        return await ServerHost.StartAsync(_dir.Path, s =>
        {
            s["WithCache:Catalog"] = catalog;
            s["WithCache:Blobs"] = blobs;
        });
    }

    private async Task<string> FillAsync(ServerHost server, string path, byte[] body)
    {
        var url = _origin.Add(path, body);
        await server.MissAsync(url);
        using var hit = await server.WaitForHitAsync(url);
        Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
        return url;
    }

    private static async Task AssertUnavailableAsync(ServerHost server, string url, string readiness)
    {
        // The shims probe with HEAD first: it must turn 503 within a few seconds of the outage (the store's health
        // probe runs every second; a catalog outage shows in the very first look-up).
        var clock = Stopwatch.StartNew();
        HttpStatusCode probe;
        while (true)
        {
            using var head = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, ServerHost.FetchPath(url)));
            probe = head.StatusCode;
            if (probe == HttpStatusCode.ServiceUnavailable || clock.Elapsed > TimeSpan.FromSeconds(5))
            {
                break;
            }

            await Task.Delay(100);
        }

        var probeTurned = clock.Elapsed;
        clock.Restart();
        using var get = await server.Client.GetAsync(ServerHost.FetchPath(url));
        using var ready = await server.Client.GetAsync("/healthz/ready");
        using var live = await server.Client.GetAsync("/healthz");
        clock.Stop();

        Assert.True(probe == HttpStatusCode.ServiceUnavailable, $"the HEAD probe still answered {(int)probe} {probeTurned} after the outage began");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, get.StatusCode);
        Assert.Equal("unavailable", get.Headers.GetValues("X-WithCache").Single());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains(readiness, await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.True(clock.Elapsed < 3 * FailFast, $"three requests took {clock.Elapsed} while an engine was down");
    }

    private static async Task AssertRecoversAsync(ServerHost server, string url, byte[] body)
    {
        using var hit = await ServerHost.WaitForHitAsync(server.Client, url, TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
        Assert.Equal(body, await hit.Content.ReadAsByteArrayAsync());
        using var ready = await server.Client.GetAsync("/healthz/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    private static async Task OutageAsync(string action)
    {
        var result = await Command.RunAsync("bash", Path.Combine(Repository.Root(), "ci", "services", "outage.sh"), Services!, action);
        Assert.True(result.ExitCode == 0, $"outage.sh {action}: {result.Output}");
    }
}
