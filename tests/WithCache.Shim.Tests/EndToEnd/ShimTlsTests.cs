using WithCache.Shim.Tests.TestSupport;

namespace WithCache.Shim.Tests.EndToEnd;

/// <summary>The AOT shim probing a cache-host served over https, through OpenSSL, with the certificate checked.</summary>
[Trait("Category", "Aot")]
public sealed class ShimTlsTests : IAsyncLifetime
{
    private LoopbackServer _origin = null!;
    private TestCache _cache = null!;

    public async Task InitializeAsync()
    {
        _origin = await LoopbackServer.StartOriginAsync();
        _cache = await TestCache.StartAsync(TestCertificate.Certificate);
    }

    public async Task DisposeAsync()
    {
        await _cache.DisposeAsync();
        await _origin.DisposeAsync();
    }

    [Fact]
    public async Task HttpsCache_TrustedCertificate_HitServedFromCache()
    {
        var origin = _origin.BaseUrl + "/files/tls.bin";
        _cache.Add(origin);
        using var work = new TempDirectory();

        var result = await RunCurlAsync(["-fsSO", origin], work.Path, trust: true);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("hit: " + _cache.BaseUrl, result.StandardError, StringComparison.Ordinal);
        Assert.Equal(TestCache.CachedBody(origin), await File.ReadAllBytesAsync(Path.Combine(work.Path, "tls.bin")));
        Assert.Empty(_origin.Requests);
    }

    [Fact]
    public async Task HttpsCache_UntrustedCertificate_ProbeFailsAndOriginServes()
    {
        var origin = _origin.BaseUrl + "/files/untrusted.bin";
        _cache.Add(origin);
        using var work = new TempDirectory();

        var result = await RunCurlAsync(["-fsSO", origin], work.Path, trust: false);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("cache probe failed", result.StandardError, StringComparison.Ordinal);
        Assert.Equal(LoopbackServer.OriginBody("/files/untrusted.bin"), await File.ReadAllBytesAsync(Path.Combine(work.Path, "untrusted.bin")));
        Assert.DoesNotContain(_cache.Server.Requests, r => r.Method == "HEAD");
    }

    [Fact]
    public async Task HttpsCache_SilentDuringHandshake_GivesUpWithinTheProbeDeadline()
    {
        using var silent = DeadPorts.Silent();
        var port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
        var origin = _origin.BaseUrl + "/files/silent-tls.bin";
        using var work = new TempDirectory();

        var result = await ProcessRunner.RunAsync(Path.Combine(ShimBinaries.BinDirectory, "curl"), ["-fsSO", origin], new Dictionary<string, string?>
        {
            ["PATH"] = ShimBinaries.ShadowingPath,
            ["WITHCACHE_SERVER"] = $"https://localhost:{port}",
            ["WITHCACHE_DEBUG"] = "1",
            ["WITHCACHE_PROBE_TIMEOUT_MS"] = "300",
        }, work.Path);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("fetching from origin", result.StandardError, StringComparison.Ordinal);
        Assert.Equal(LoopbackServer.OriginBody("/files/silent-tls.bin"), await File.ReadAllBytesAsync(Path.Combine(work.Path, "silent-tls.bin")));
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(10), $"took {result.Elapsed}");
    }

    private Task<ProcessResult> RunCurlAsync(string[] args, string workingDirectory, bool trust) =>
        ProcessRunner.RunAsync(Path.Combine(ShimBinaries.BinDirectory, "curl"), args, new Dictionary<string, string?>
        {
            ["PATH"] = ShimBinaries.ShadowingPath,
            ["WITHCACHE_SERVER"] = _cache.BaseUrl,
            ["WITHCACHE_DEBUG"] = "1",
            ["WITHCACHE_PROBE_TIMEOUT_MS"] = "10000",
            // OpenSSL (the shim's probe) reads SSL_CERT_FILE; curl reads CURL_CA_BUNDLE.
            ["SSL_CERT_FILE"] = trust ? TestCertificate.PemPath : "/nonexistent.pem",
            ["SSL_CERT_DIR"] = "/nonexistent",
            ["CURL_CA_BUNDLE"] = trust ? TestCertificate.PemPath : null,
        }, workingDirectory);
}
