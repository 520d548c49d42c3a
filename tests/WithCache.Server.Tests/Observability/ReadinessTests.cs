using System.Net;
using WithCache.Server.Tests.TestSupport;

namespace WithCache.Server.Tests.Observability;

public sealed class ReadinessTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Ready_CatalogAndStoreReachable_200NamingEach()
    {
        await using var server = await ServerHost.StartAsync(_dir.Path);

        using var answer = await server.Client.GetAsync("/healthz/ready");

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var text = await answer.Content.ReadAsStringAsync();
        Assert.StartsWith("ready\n", text, StringComparison.Ordinal);
        Assert.Contains("catalog: ok (", text, StringComparison.Ordinal);
        Assert.Contains("blobs: ok (", text, StringComparison.Ordinal);
        Assert.Equal("no-store, no-cache", answer.Headers.CacheControl?.ToString());
    }

    [SkippableFact]
    public async Task Ready_BlobFolderGone_503SaysWhichWhileLivenessStaysOk()
    {
        Skip.If(TestBackends.Shared, TestBackends.SharedSkipReason);
        await using var server = await ServerHost.StartAsync(_dir.Path);

        Directory.Delete(Path.Combine(_dir.Path, "blobs"), recursive: true);

        using var ready = await server.Client.GetAsync("/healthz/ready");
        using var live = await server.Client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var text = await ready.Content.ReadAsStringAsync();
        Assert.StartsWith("not ready\n", text, StringComparison.Ordinal);
        Assert.Contains("blobs: unavailable (data dir: the blob folder is missing)", text, StringComparison.Ordinal);
        Assert.Contains("catalog: ok (", text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }
}
