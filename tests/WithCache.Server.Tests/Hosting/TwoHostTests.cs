using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using WithCache.Server.Tests.TestSupport;

namespace WithCache.Server.Tests.Hosting;

/// <summary>
/// Two real <c>withcache-server</c> processes on different ports sharing one PostgreSQL catalog (a fresh schema per
/// test) and one S3 bucket (a fresh prefix per test) on the throwaway engines of ci/services. Skipped without them.
/// </summary>
public sealed class TwoHostTests : IAsyncLifetime
{
    private const string ApiToken = "two-host-api-token-0123456789";

    private readonly TempDir _dirA = new();
    private readonly TempDir _dirB = new();
    private readonly List<ServerProcess> _hosts = [];
    private ArtifactOrigin _origin = null!;

    public async Task InitializeAsync() => _origin = await ArtifactOrigin.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        await _origin.DisposeAsync();
        _dirA.Dispose();
        _dirB.Dispose();
    }

    [SkippableFact]
    public async Task MissOnA_FillsOnce_ThenHitsOnBByteExactWithTheSameETag()
    {
        Skip.IfNot(TestBackends.EnginesAvailable, TestBackends.EnginesSkipReason);
        var (a, b) = await StartPairAsync();
        var body = TestData.Bytes(3 * 1024 * 1024 + 17);
        var url = _origin.Add("/cuda/installer.run", body);

        using var miss = await a.Client.GetAsync(ServerHost.FetchPath(url));
        Assert.Equal(HttpStatusCode.NotFound, miss.StatusCode);
        using var hitA = await ServerHost.WaitForHitAsync(a.Client, url);
        using var hitB = await b.Client.GetAsync(ServerHost.FetchPath(url));

        Assert.Equal(HttpStatusCode.OK, hitA.StatusCode);
        Assert.Equal(HttpStatusCode.OK, hitB.StatusCode);
        Assert.Equal(body, await hitB.Content.ReadAsByteArrayAsync());
        Assert.Equal($"\"{Convert.ToHexStringLower(SHA256.HashData(body))}\"", hitB.Headers.ETag?.Tag);
        Assert.Equal(hitA.Headers.ETag, hitB.Headers.ETag);
        Assert.Equal("hit", hitB.Headers.GetValues("X-WithCache").Single());
        Assert.Equal(1, _origin.RequestsFor("/cuda/installer.run"));
    }

    [SkippableFact]
    public async Task FiftyConcurrentMisses_SplitOverAAndB_MakeOneOriginRequest()
    {
        Skip.IfNot(TestBackends.EnginesAvailable, TestBackends.EnginesSkipReason);
        var (a, b) = await StartPairAsync();
        var body = TestData.Bytes(2 * 1024 * 1024);
        var url = _origin.Add("/rocm/rocm.deb", body);
        _origin.Hold("/rocm/rocm.deb");

        var statuses = await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
        {
            using var response = await (i % 2 == 0 ? a : b).Client.GetAsync(ServerHost.FetchPath(url));
            return response.StatusCode;
        }));
        _origin.Release("/rocm/rocm.deb");

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.NotFound, s));
        using var hitA = await ServerHost.WaitForHitAsync(a.Client, url);
        using var hitB = await ServerHost.WaitForHitAsync(b.Client, url);
        Assert.Equal(body, await hitA.Content.ReadAsByteArrayAsync());
        Assert.Equal(body, await hitB.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, _origin.RequestsFor("/rocm/rocm.deb"));
    }

    [SkippableFact]
    public async Task KillAMidFill_BTakesTheJobOver_AndNothingPartialIsEverServed()
    {
        Skip.IfNot(TestBackends.EnginesAvailable, TestBackends.EnginesSkipReason);
        var (a, b) = await StartPairAsync();
        var body = TestData.Bytes(4 * 1024 * 1024);
        var url = _origin.Add("/doca/doca.tgz", body);
        _origin.Pace("/doca/doca.tgz", TimeSpan.FromMilliseconds(25)); // 64 chunks: about 1.6 s per whole answer

        using (var miss = await a.Client.GetAsync(ServerHost.FetchPath(url)))
        {
            Assert.Equal(HttpStatusCode.NotFound, miss.StatusCode);
        }

        await Poll.UntilAsync(() => _origin.RequestsFor("/doca/doca.tgz") == 1, "A's fill to reach the origin");
        await Task.Delay(400); // mid-body
        await a.KillAsync();

        // B answers misses (the job is A's until its lease runs out) and then the whole artifact: never a part of it.
        var seen = new ConcurrentBag<HttpStatusCode>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(40);
        byte[]? served = null;
        while (served is null && DateTime.UtcNow < deadline)
        {
            using var response = await b.Client.GetAsync(ServerHost.FetchPath(url));
            seen.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                served = await response.Content.ReadAsByteArrayAsync();
            }
            else
            {
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
                await Task.Delay(100);
            }
        }

        Assert.NotNull(served);
        Assert.Equal(body, served);
        Assert.Equal(2, _origin.RequestsFor("/doca/doca.tgz"));
        using var api = new ApiClient(b.BaseUrl, ApiToken);
        var jobs = await api.GetUntilAsync("/api/v1/jobs?sort=id&order=asc", page => page.GetProperty("items").GetArrayLength() == 1);
        var job = jobs.GetProperty("items")[0];
        Assert.Equal("completed", job.GetProperty("state").GetString());
        Assert.Contains("Took over 1 download job(s)", b.Output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task DeleteOnB_IsAMissOnA()
    {
        Skip.IfNot(TestBackends.EnginesAvailable, TestBackends.EnginesSkipReason);
        var (a, b) = await StartPairAsync(curate: true);
        var url = _origin.Add("/fw/bios.bin", TestData.Bytes(300_000));
        using var api = new ApiClient(b.BaseUrl, ApiToken);
        var (added, _) = await api.PostAsync("/api/v1/artifacts", new { url });
        Assert.Equal(HttpStatusCode.OK, added);
        using (var hit = await ServerHost.WaitForHitAsync(a.Client, url))
        {
            Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
        }

        var (deleted, _) = await api.PostAsync("/api/v1/artifacts/delete", new { key = url });

        Assert.Equal(HttpStatusCode.OK, deleted);
        using var afterA = await a.Client.GetAsync(ServerHost.FetchPath(url));
        using var headA = await a.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, ServerHost.FetchPath(url)));
        Assert.Equal(HttpStatusCode.NotFound, afterA.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, headA.StatusCode);
        Assert.Equal("miss", afterA.Headers.GetValues("X-WithCache").Single());
    }

    [SkippableFact]
    public async Task MaxBytes_HoldsAcrossBothHostsFillingAtOnce()
    {
        Skip.IfNot(TestBackends.EnginesAvailable, TestBackends.EnginesSkipReason);
        var (a, b) = await StartPairAsync(extraArgs: ["--max-bytes", "5M"]);
        var first = _origin.Add("/big/one.iso", TestData.Bytes(3 * 1024 * 1024, seed: 1));
        var second = _origin.Add("/big/two.iso", TestData.Bytes(3 * 1024 * 1024, seed: 2));
        _origin.Hold("/big/one.iso");
        _origin.Hold("/big/two.iso");

        using (var missA = await a.Client.GetAsync(ServerHost.FetchPath(first)))
        using (var missB = await b.Client.GetAsync(ServerHost.FetchPath(second)))
        {
            Assert.Equal(HttpStatusCode.NotFound, missA.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, missB.StatusCode);
        }

        // Both fills have their headers (and so asked for their reservation) before either body completes.
        await Poll.UntilAsync(() => _origin.RequestsFor("/big/one.iso") == 1 && _origin.RequestsFor("/big/two.iso") == 1, "both fills to start");
        await Task.Delay(500);
        _origin.Release("/big/one.iso");
        _origin.Release("/big/two.iso");

        using var api = new ApiClient(a.BaseUrl, ApiToken);
        var jobs = await api.GetUntilAsync("/api/v1/jobs?sort=id&order=asc", page =>
            page.GetProperty("items").GetArrayLength() == 2
            && page.GetProperty("items").EnumerateArray().All(j => j.GetProperty("state").GetString() is not ("queued" or "running")));
        var states = jobs.GetProperty("items").EnumerateArray().Select(j => j.GetProperty("state").GetString()).Order().ToList();
        Assert.Equal(["completed", "failed"], states);
        var failed = jobs.GetProperty("items").EnumerateArray().Single(j => j.GetProperty("state").GetString() == "failed");
        Assert.Contains("cache full", failed.GetProperty("reason").GetString(), StringComparison.Ordinal);
        var (status, artifacts) = await api.GetAsync("/api/v1/artifacts");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, artifacts.GetProperty("items").GetArrayLength());
    }

    [SkippableFact]
    public async Task FailedForGoodOnA_AMissOnBBacksOffToo()
    {
        Skip.IfNot(TestBackends.EnginesAvailable, TestBackends.EnginesSkipReason);
        var (a, b) = await StartPairAsync();
        var url = _origin.AddStatus("/gone/driver.run", 404);

        using (var miss = await a.Client.GetAsync(ServerHost.FetchPath(url)))
        {
            Assert.Equal(HttpStatusCode.NotFound, miss.StatusCode);
        }

        using var api = new ApiClient(a.BaseUrl, ApiToken);
        await api.GetUntilAsync("/api/v1/jobs", page => page.GetProperty("items").EnumerateArray()
            .Any(j => j.GetProperty("state").GetString() == "failed"));

        using var onB = await b.Client.GetAsync(ServerHost.FetchPath(url));
        using var againOnA = await a.Client.GetAsync(ServerHost.FetchPath(url));

        Assert.Equal(HttpStatusCode.NotFound, onB.StatusCode);
        Assert.Equal("not cached; the last download failed, not retrying yet\n", await onB.Content.ReadAsStringAsync());
        Assert.Equal("not cached; the last download failed, not retrying yet\n", await againOnA.Content.ReadAsStringAsync());
        Assert.Equal(1, _origin.RequestsFor("/gone/driver.run"));
    }

    [SkippableFact]
    public async Task LogInThroughA_WorksThroughB_LogOutOnA_EndsItOnB()
    {
        Skip.IfNot(TestBackends.EnginesAvailable, TestBackends.EnginesSkipReason);
        const string password = "two-host-operator-password";
        var (a, b) = await StartPairAsync(extraEnvironment: new()
        {
            ["WITHCACHE_ADMIN_PASSWORD"] = password,
            ["WITHCACHE_SESSION_SECRET"] = "two-host-session-secret-0123456789abcdef",
        });
        using var throughA = new OperatorClient(a.BaseUrl);
        using (var login = await throughA.LogInAsync(password))
        {
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        }

        // The load balancer sends the same browser to B: its cookie (and B's own antiforgery token) work there.
        var session = throughA.Cookies.GetAllCookies().Single(c => c.Name == "withcache_session");
        using var throughB = new OperatorClient(b.BaseUrl);
        throughB.Cookies.Add(new System.Net.Cookie(session.Name, session.Value, "/", session.Domain));
        using (var page = await throughB.Http.GetAsync("/admin/misses"))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }

        var tokenB = await throughB.GetTokenAsync("/admin/misses");
        using (var dismiss = await throughB.PostFormAsync("/admin/misses/dismiss", [new("one", "https://vendor.example/none.run")], tokenB))
        {
            Assert.True(dismiss.StatusCode is HttpStatusCode.OK or HttpStatusCode.Redirect or HttpStatusCode.SeeOther, $"dismiss answered {(int)dismiss.StatusCode}");
            Assert.DoesNotContain("/login", dismiss.Headers.Location?.OriginalString ?? "", StringComparison.Ordinal);
        }

        var tokenA = await throughA.GetTokenAsync("/admin/misses");
        using (var logout = await throughA.PostFormAsync("/logout", [], tokenA))
        {
            Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        }

        using var afterLogout = await throughB.Http.GetAsync("/admin/misses");
        Assert.Equal(HttpStatusCode.Redirect, afterLogout.StatusCode);
        Assert.Contains("/login", afterLogout.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    private async Task<(ServerProcess A, ServerProcess B)> StartPairAsync(
        bool curate = false, string[]? extraArgs = null, Dictionary<string, string>? extraEnvironment = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["WITHCACHE_CATALOG"] = TestBackends.NewCatalog(),
            ["WITHCACHE_BLOBS"] = await TestBackends.NewBlobsAsync(),
            ["WithCache__JobLease"] = "00:00:03",
            ["WITHCACHE_API_TOKEN"] = ApiToken,
        };
        foreach (var (name, value) in extraEnvironment ?? [])
        {
            environment[name] = value;
        }

        string[] args = [.. curate ? ["--curate"] : Array.Empty<string>(), .. extraArgs ?? []];

        // A first: it creates the schema; B then starts on it (starting both at once is the catalog tests' job).
        var a = await ServerProcess.StartAsync(_dirA.Path, environment, args);
        _hosts.Add(a);
        var b = await ServerProcess.StartAsync(_dirB.Path, environment, args);
        _hosts.Add(b);
        return (a, b);
    }
}
