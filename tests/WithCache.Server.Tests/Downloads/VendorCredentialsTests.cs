using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using WithCache.Server.Downloads;
using WithCache.Server.Tests.TestSupport;
using static WithCache.Server.Tests.Downloads.OriginFetcherTests;

namespace WithCache.Server.Tests.Downloads;

/// <summary>Vendor headers: read from the data dir, sent only to their host, never logged, never in a reason.</summary>
public sealed class VendorCredentialsTests
{
    private const string Secret = "Bearer s3cr3t-vendor-token-7f1e";

    private const string AuthorizationHeader = "\"Authorization\": \"" + Secret + "\"";

    private static string CredentialsJson(string host, string headers) => "{\"hosts\": {\"" + host + "\": {" + headers + "}}}";

    private static FetchHarness HarnessWithCredentials(string json, Action<FetchOptions>? configure = null) =>
        new(configure, credentialsJson: json);

    private static void AssertNoSecretAnywhere(FetchHarness harness, FetchResult result)
    {
        Assert.DoesNotContain("s3cr3t", result.Reason, StringComparison.Ordinal);
        Assert.NotEmpty(harness.Logs.Lines);
        Assert.DoesNotContain(harness.Logs.Lines, line => line.Contains("s3cr3t", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FetchAsync_CredentialsForHost_SentToThatHostButNotAcrossARedirectToAnother()
    {
        var body = Bytes(5_000);
        await using var origin = await OriginServer.StartAsync();
        origin.MapRedirect("/download", origin.Url("/cdn/file.bin", host: "127.0.0.1"));
        origin.Map("/cdn/file.bin", new OriginFile(body));
        await using var harness = HarnessWithCredentials(
            CredentialsJson("localhost", $"\"Authorization\": \"{Secret}\", \"X-Api-Key\": \"s3cr3t-key\""),
            o => o.AllowPrivate = true);

        var result = await harness.FetchAsync(origin.Url("/download", host: "localhost"));

        AssertCompletedWith(result, harness.TempPath, body);
        var first = Assert.Single(origin.RequestsTo("/download"));
        Assert.StartsWith("localhost:", first.Host, StringComparison.Ordinal);
        Assert.Equal(Secret, first.Header("Authorization"));
        Assert.Equal("s3cr3t-key", first.Header("X-Api-Key"));
        var second = Assert.Single(origin.RequestsTo("/cdn/file.bin"));
        Assert.StartsWith("127.0.0.1:", second.Host, StringComparison.Ordinal);
        Assert.Null(second.Header("Authorization"));
        Assert.Null(second.Header("X-Api-Key"));
        AssertNoSecretAnywhere(harness, result);
    }

    [Fact]
    public async Task FetchAsync_RedirectAwayAndBack_CredentialsNotSentAgain()
    {
        var body = Bytes(100);
        await using var origin = await OriginServer.StartAsync();
        origin.MapRedirect("/a", origin.Url("/b", host: "127.0.0.1"));
        origin.MapRedirect("/b", origin.Url("/c", host: "localhost"));
        origin.Map("/c", new OriginFile(body));
        await using var harness = HarnessWithCredentials(
            CredentialsJson("LOCALHOST", AuthorizationHeader),
            o => o.AllowPrivate = true);

        var result = await harness.FetchAsync(origin.Url("/a", host: "localhost"));

        AssertCompletedWith(result, harness.TempPath, body);
        Assert.Equal(Secret, origin.RequestsTo("/a")[0].Header("Authorization"));
        Assert.Null(origin.RequestsTo("/b")[0].Header("Authorization"));
        Assert.Null(origin.RequestsTo("/c")[0].Header("Authorization"));
    }

    [Fact]
    public async Task FetchAsync_SameHostRedirectAndRetry_CredentialsSentEachTime()
    {
        var body = Bytes(100);
        await using var origin = await OriginServer.StartAsync();
        origin.MapRedirect("/a", "/b");
        origin.MapStatus("/b", 503, times: 1, then: new OriginFile(body));
        await using var harness = HarnessWithCredentials(CredentialsJson("127.0.0.1", AuthorizationHeader));

        var result = await harness.FetchAsync(origin.Url("/a"));

        AssertCompletedWith(result, harness.TempPath, body);
        Assert.Equal(4, origin.Requests.Count);
        Assert.All(origin.Requests, r => Assert.Equal(Secret, r.Header("Authorization")));
        AssertNoSecretAnywhere(harness, result);
    }

    [Fact]
    public async Task FetchAsync_DeniedWithCredentials_SecretNeitherInReasonNorLogs()
    {
        await using var origin = await OriginServer.StartAsync();
        origin.MapStatus("/private", 403);
        await using var harness = HarnessWithCredentials(CredentialsJson("127.0.0.1", AuthorizationHeader));

        var result = await harness.FetchAsync(origin.Url("/private"));

        Assert.Equal(DownloadOutcome.UpstreamDenied, result.Outcome);
        Assert.Equal(Secret, origin.Requests[0].Header("Authorization"));
        AssertNoSecretAnywhere(harness, result);
    }

    [Theory]
    [InlineData("{\"hosts\": {\"127.0.0.1\": {\"Authorization\": \"s3cr3t\"")]
    [InlineData("{\"hosts\": {\"127.0.0.1\": {\"Authorization\": s3cr3t}}}")]
    [InlineData("{\"hosts\": {\"127.0.0.1\": {\"Authorization\": 12345}}}")]
    [InlineData("{\"hosts\": {\"127.0.0.1\": {\"Authorization\": \"s3cr3t\\r\\nX-Evil: 1\"}}}")]
    [InlineData("{\"hosts\": {\"127.0.0.1\": {\"Bad Header\": \"s3cr3t\"}}}")]
    [InlineData("{\"hosts\": {\"127.0.0.1\": {\"Host\": \"s3cr3t.example\"}}}")]
    [InlineData("{\"hosts\": [\"s3cr3t\"]}")]
    [InlineData("{\"127.0.0.1\": {\"Authorization\": \"s3cr3t\"}}")]
    [InlineData("s3cr3t")]
    [InlineData("")]
    public async Task FetchAsync_MalformedCredentialsFile_NoCrashNoHeadersOneErrorWithoutValues(string json)
    {
        var body = Bytes(100);
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/f", new OriginFile(body));
        await using var harness = HarnessWithCredentials(json);

        Assert.Equal(0, harness.Get<VendorCredentials>().HostCount);
        var result = await harness.FetchAsync(origin.Url("/f"));

        AssertCompletedWith(result, harness.TempPath, body);
        Assert.Null(origin.Requests[0].Header("Authorization"));
        Assert.Single(harness.Logs.Lines, line => line.StartsWith("Error", StringComparison.Ordinal) && line.Contains("credentials", StringComparison.Ordinal));
        AssertNoSecretAnywhere(harness, result);
    }

    [Fact]
    public void HeadersFor_ExactHostCaseInsensitive_NoPortNoSubdomains()
    {
        var credentials = Load("""
            {
              // comments are allowed
              "hosts": {
                "developer.download.nvidia.com": { "Authorization": "Bearer abc" },
                "repo.example.com": { "X-Api-Key": "k", "X-Other": "v" },
              }
            }
            """);

        Assert.Equal(2, credentials.HostCount);
        Assert.Equal([new("Authorization", "Bearer abc")], credentials.HeadersFor("Developer.Download.NVIDIA.com"));
        Assert.Equal(2, credentials.HeadersFor("repo.example.com").Count);
        Assert.Empty(credentials.HeadersFor("download.nvidia.com"));
        Assert.Empty(credentials.HeadersFor("evil.developer.download.nvidia.com"));
        Assert.Empty(credentials.HeadersFor("developer.download.nvidia.com.evil.net"));
    }

    [Fact]
    public void Constructor_MissingFileOrNoPath_NoCredentialsNoError()
    {
        var logs = new RecordingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        var missing = new VendorCredentials(
            Options.Create(new FetchOptions { CredentialsFile = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "credentials.json") }),
            factory.CreateLogger<VendorCredentials>());
        var unset = new VendorCredentials(Options.Create(new FetchOptions()), NullLogger<VendorCredentials>.Instance);

        Assert.Equal(0, missing.HostCount);
        Assert.Equal(0, unset.HostCount);
        Assert.Empty(missing.HeadersFor("example.com"));
        Assert.DoesNotContain(logs.Lines, line => line.StartsWith("Error", StringComparison.Ordinal));
    }

    [Fact]
    public void TryParse_DuplicateHostDifferingInCase_Malformed()
    {
        var ok = VendorCredentials.TryParse(
            Encoding.UTF8.GetBytes("""{"hosts": {"a.com": {"X-K": "1"}, "A.com": {"X-K": "2"}}}"""),
            out _,
            out var problem);

        Assert.False(ok);
        Assert.Equal("host A.com is listed twice", problem);
    }

    private static VendorCredentials Load(string json)
    {
        var directory = Directory.CreateTempSubdirectory("withcache-creds-").FullName;
        try
        {
            var path = Path.Combine(directory, "credentials.json");
            File.WriteAllText(path, json);
            return new VendorCredentials(Options.Create(new FetchOptions { CredentialsFile = path }), NullLogger<VendorCredentials>.Instance);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
