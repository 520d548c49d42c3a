using System.Net;
using System.Text.Json;
using WithCache.Server.Tests.TestSupport;

namespace WithCache.Server.Tests.Api;

public sealed class ApiEndpointsTests : IAsyncLifetime
{
    private const string EnvToken = "env-token-for-the-api-tests-0123456789";
    private readonly TempDir _dir = new();
    private ArtifactOrigin _origin = null!;

    public async Task InitializeAsync() => _origin = await ArtifactOrigin.StartAsync();

    public async Task DisposeAsync()
    {
        await _origin.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task AddUrl_FillCompletes_ArtifactListedThenDeleted()
    {
        await using var server = await StartAsync();
        using var api = new ApiClient(server.BaseUrl, EnvToken);
        var body = TestData.Bytes(70_000);
        var url = _origin.Add("/vendor/tool.tar.gz", body);

        var (addStatus, added) = await api.PostAsync("/api/v1/artifacts", new { url });
        Assert.Equal(HttpStatusCode.OK, addStatus);
        Assert.Equal(url, added.GetProperty("subject").GetString());
        Assert.Equal("download queued", added.GetProperty("message").GetString());

        var jobs = await api.GetUntilAsync(ListPath("/api/v1/jobs", url), page => page.GetProperty("items").GetArrayLength() == 1);
        var id = jobs.GetProperty("items")[0].GetProperty("id").GetInt64();
        var job = await api.GetUntilAsync($"/api/v1/jobs/{id}", j => j.GetProperty("state").GetString() == "completed");
        Assert.Equal(body.Length, job.GetProperty("bytesDone").GetInt64());

        var (_, artifacts) = await api.GetAsync(ListPath("/api/v1/artifacts", url));
        var artifact = Assert.Single(artifacts.GetProperty("items").EnumerateArray());
        Assert.Equal(url, artifact.GetProperty("key").GetString());
        Assert.Equal(TestData.Sha256Hex(body), artifact.GetProperty("sha256").GetString());
        Assert.Equal(body.Length, artifact.GetProperty("size").GetInt64());
        Assert.False(artifact.TryGetProperty("origin", out _));
        Assert.Equal(1, artifacts.GetProperty("total").GetInt64());

        var (deleteStatus, deleted) = await api.PostAsync("/api/v1/artifacts/delete", new { key = url });
        Assert.Equal(HttpStatusCode.OK, deleteStatus);
        Assert.Equal("deleted", deleted.GetProperty("message").GetString());
        var (_, after) = await api.GetAsync(ListPath("/api/v1/artifacts", url));
        Assert.Equal(0, after.GetProperty("total").GetInt64());
        Assert.Empty(server.BlobFiles());
    }

    [Fact]
    public async Task CurateMiss_Approve_QueuesTheFillAndItCompletes()
    {
        await using var server = await StartAsync(curate: true);
        using var api = new ApiClient(server.BaseUrl, EnvToken);
        var url = _origin.Add("/vendor/driver.run", TestData.Bytes(4096));
        await server.MissAsync(url);

        var misses = await api.GetUntilAsync(ListPath("/api/v1/misses", url), page => page.GetProperty("total").GetInt64() == 1);
        Assert.Equal(1, misses.GetProperty("items")[0].GetProperty("count").GetInt64());
        var (status, approved) = await api.PostAsync("/api/v1/misses/approve", new { key = url });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("download queued", approved.GetProperty("message").GetString());
        await api.GetUntilAsync(ListPath("/api/v1/artifacts", url), page => page.GetProperty("total").GetInt64() == 1);
    }

    [Fact]
    public async Task CurateMiss_Dismiss_GoneFromTheList()
    {
        await using var server = await StartAsync(curate: true);
        using var api = new ApiClient(server.BaseUrl, EnvToken);
        var url = _origin.Add("/vendor/unwanted.iso", TestData.Bytes(10));
        await server.MissAsync(url);
        await api.GetUntilAsync(ListPath("/api/v1/misses", url), page => page.GetProperty("total").GetInt64() == 1);

        var (status, dismissed) = await api.PostAsync("/api/v1/misses/dismiss", new { key = url });
        var (_, after) = await api.GetAsync(ListPath("/api/v1/misses", url));
        var (againStatus, again) = await api.PostAsync("/api/v1/misses/dismiss", new { key = url });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("dismissed", dismissed.GetProperty("message").GetString());
        Assert.Equal(0, after.GetProperty("total").GetInt64());
        Assert.Equal(HttpStatusCode.NotFound, againStatus);
        Assert.Equal("no such miss", again.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task HeldJob_Cancel_EndsCancelled()
    {
        await using var server = await StartAsync();
        using var api = new ApiClient(server.BaseUrl, EnvToken);
        var url = _origin.Add("/vendor/slow.bin", TestData.Bytes(100_000));
        _origin.Hold("/vendor/slow.bin");
        try
        {
            await api.PostAsync("/api/v1/artifacts", new { url });
            var jobs = await api.GetUntilAsync(ListPath("/api/v1/jobs", url), page =>
                page.GetProperty("items").EnumerateArray().Any(j => j.GetProperty("state").GetString() == "running"));
            var id = jobs.GetProperty("items")[0].GetProperty("id").GetInt64();

            var (status, cancelled) = await api.PostAsync($"/api/v1/jobs/{id}/cancel", null);

            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal((string?)$"job {id}", cancelled.GetProperty("subject").GetString());
            await api.GetUntilAsync($"/api/v1/jobs/{id}", j => j.GetProperty("state").GetString() == "cancelled");
            var (againStatus, _) = await api.PostAsync($"/api/v1/jobs/{id}/cancel", null);
            Assert.Equal(HttpStatusCode.NotFound, againStatus);
        }
        finally
        {
            _origin.Release("/vendor/slow.bin");
        }
    }

    [Fact]
    public async Task Lists_PagedSortedFiltered()
    {
        await using var server = await StartAsync(curate: true);
        using var api = new ApiClient(server.BaseUrl, EnvToken);
        foreach (var name in new[] { "b", "a", "c" })
        {
            await server.MissAsync($"http://127.0.0.1:1/paged/{name}.bin");
        }

        await api.GetUntilAsync("/api/v1/misses?filter=/paged/", page => page.GetProperty("total").GetInt64() == 3);
        var (_, first) = await api.GetAsync("/api/v1/misses?filter=/paged/&sort=key&limit=2");
        var (_, second) = await api.GetAsync("/api/v1/misses?filter=/paged/&sort=key&limit=2&offset=2");
        var (_, descending) = await api.GetAsync("/api/v1/misses?filter=/paged/&sort=key&order=desc&limit=1");

        Assert.Equal(["http://127.0.0.1:1/paged/a.bin", "http://127.0.0.1:1/paged/b.bin"], Keys(first));
        Assert.True(first.GetProperty("more").GetBoolean());
        Assert.Equal(["http://127.0.0.1:1/paged/c.bin"], Keys(second));
        Assert.False(second.GetProperty("more").GetBoolean());
        Assert.Equal(["http://127.0.0.1:1/paged/c.bin"], Keys(descending));
    }

    [Theory]
    [InlineData("/api/v1/artifacts?limit=0", "limit")]
    [InlineData("/api/v1/artifacts?limit=201", "limit")]
    [InlineData("/api/v1/misses?offset=-1", "offset")]
    [InlineData("/api/v1/misses?sort=size", "sort")]
    [InlineData("/api/v1/jobs?order=up", "order")]
    [InlineData("/api/v1/events?sort=id", "sort")]
    public async Task BadListQuery_400ValidationProblemNamingTheField(string path, string field)
    {
        await using var server = await StartAsync();
        using var api = new ApiClient(server.BaseUrl, EnvToken);

        var (status, mediaType, problem) = await api.SendAsync("GET", path, null);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("application/problem+json", mediaType);
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Theory]
    [InlineData("GET", "/api/v1/artifacts?limit=lots", null)]
    [InlineData("GET", "/api/v1/jobs?offset=x", null)]
    [InlineData("POST", "/api/v1/artifacts", "{\"url\": ")]
    [InlineData("POST", "/api/v1/artifacts", "{}")]
    [InlineData("POST", "/api/v1/artifacts", "{\"url\": \"ftp://vendor.example/x\"}")]
    [InlineData("POST", "/api/v1/artifacts", "{\"url\": 12}")]
    [InlineData("POST", "/api/v1/misses/approve", "{\"key\": \"\"}")]
    [InlineData("POST", "/api/v1/artifacts/delete", "[]")]
    public async Task BadInput_400ProblemDetails(string method, string path, string? json)
    {
        await using var server = await StartAsync();
        using var api = new ApiClient(server.BaseUrl, EnvToken);

        var (status, mediaType, problem) = await api.SendAsync(method, path, json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("application/problem+json", mediaType);
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
    }

    [Theory]
    [InlineData("GET", "/api/v1/jobs/424242", null)]
    [InlineData("POST", "/api/v1/jobs/424242/cancel", null)]
    [InlineData("POST", "/api/v1/artifacts/delete", "{\"key\": \"https://vendor.example/never.bin\"}")]
    [InlineData("POST", "/api/v1/misses/approve", "{\"key\": \"https://vendor.example/never.bin\"}")]
    [InlineData("POST", "/api/v1/misses/dismiss", "{\"key\": \"https://vendor.example/never.bin\"}")]
    [InlineData("GET", "/api/v1/no-such-thing", null)]
    public async Task UnknownIdOrKey_404ProblemDetails(string method, string path, string? json)
    {
        await using var server = await StartAsync();
        using var api = new ApiClient(server.BaseUrl, EnvToken);

        var (status, mediaType, problem) = await api.SendAsync(method, path, json);

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("application/problem+json", mediaType);
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Actions_AuditedWithTheTokenNameAndAddress()
    {
        await using var server = await StartAsync();
        using var api = new ApiClient(server.BaseUrl, EnvToken);
        var url = _origin.Add("/vendor/audited.bin", TestData.Bytes(100));

        await api.PostAsync("/api/v1/artifacts", new { url });
        await api.PostAsync("/api/v1/misses/dismiss", new { key = "https://vendor.example/nothing" });
        var (status, events) = await api.GetAsync("/api/v1/events?filter=api:env");

        Assert.Equal(HttpStatusCode.OK, status);
        var items = events.GetProperty("items").EnumerateArray().ToList();
        var added = Assert.Single(items, e => e.GetProperty("action").GetString() == "url.add");
        Assert.Equal("api:env (127.0.0.1)", added.GetProperty("actor").GetString());
        Assert.Equal(url, added.GetProperty("subject").GetString());
        var dismissed = Assert.Single(items, e => e.GetProperty("action").GetString() == "miss.dismiss");
        Assert.Equal("no such miss", dismissed.GetProperty("detail").GetString());
        Assert.Equal(2, events.GetProperty("total").GetInt64());
    }

    private Task<ServerHost> StartAsync(bool curate = false) =>
        ServerHost.StartAsync(_dir.Path, s =>
        {
            s["Api:Token"] = EnvToken;
            s["WithCache:Curate"] = curate ? "true" : "false";
        });

    private static string ListPath(string path, string filter) => path + "?filter=" + Uri.EscapeDataString(filter);

    private static List<string?> Keys(JsonElement page) =>
        [.. page.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("key").GetString())];
}
