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

    private static string CredentialsJson(string key, string headers) => "{\"hosts\": {\"" + key + "\": {" + headers + "}}}";

    /// <summary>The credentials key for a loopback origin: plain http on its port has to be named.</summary>
    private static string HttpKey(OriginServer origin, string host = "127.0.0.1") => new Uri(origin.Url("/", host: host)).GetLeftPart(UriPartial.Authority);

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
            CredentialsJson(HttpKey(origin, "localhost"), $"\"Authorization\": \"{Secret}\", \"X-Api-Key\": \"s3cr3t-key\""),
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
            CredentialsJson(HttpKey(origin, "LOCALHOST"), AuthorizationHeader),
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
        await using var harness = HarnessWithCredentials(CredentialsJson(HttpKey(origin), AuthorizationHeader));

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
        await using var harness = HarnessWithCredentials(CredentialsJson(HttpKey(origin), AuthorizationHeader));

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
    public void HeadersFor_SchemeHostAndPortExactly_HostCaseInsensitive_NoSubdomains()
    {
        var credentials = Load("""
            {
              // comments are allowed
              "hosts": {
                "developer.download.nvidia.com": { "Authorization": "Bearer abc" },
                "repo.example.com:8443": { "X-Api-Key": "k", "X-Other": "v" },
                "http://mirror.lab.internal:8081": { "X-Api-Key": "m" },
                "HTTPS://Upper.Example/": { "X-Api-Key": "u" },
              }
            }
            """);

        Assert.Equal(4, credentials.HostCount);
        Assert.Equal([new("Authorization", "Bearer abc")], credentials.HeadersFor(Url("https://Developer.Download.NVIDIA.com/cuda/x.run")));
        Assert.Single(credentials.HeadersFor(Url("https://developer.download.nvidia.com:443/x")));
        Assert.Equal(2, credentials.HeadersFor(Url("https://repo.example.com:8443/x")).Count);
        Assert.Single(credentials.HeadersFor(Url("http://mirror.lab.internal:8081/x")));
        Assert.Single(credentials.HeadersFor(Url("https://upper.example/x")));

        // A bare host is https on 443: any LAN client could ask for the same host in clear text or on another port.
        string[] elsewhere =
        [
            "http://developer.download.nvidia.com/x", "http://developer.download.nvidia.com:443/x",
            "https://developer.download.nvidia.com:8443/x", "https://repo.example.com/x", "http://repo.example.com:8443/x",
            "https://mirror.lab.internal:8081/x", "http://mirror.lab.internal/x", "https://download.nvidia.com/x",
            "https://evil.developer.download.nvidia.com/x", "https://developer.download.nvidia.com.evil.net/x",
        ];
        Assert.All(elsewhere, url => Assert.Empty(credentials.HeadersFor(Url(url))));
    }

    [Fact]
    public void HeadersFor_TheHostAsConnectedTo_PunycodeAndIpv6FormsMatchTheirOtherSpelling()
    {
        var credentials = Load("""
            {"hosts": {
              "xn--bcher-kva.example": { "X-Api-Key": "idn" },
              "[2001:db8::1]:8443": { "X-Api-Key": "v6" },
              "http://127.0.0.1:8081": { "X-Api-Key": "v4" }
            }}
            """);

        Assert.Equal("idn", Assert.Single(credentials.HeadersFor(Url("https://bücher.example/x"))).Value);
        Assert.Equal("idn", Assert.Single(credentials.HeadersFor(Url("https://XN--BCHER-KVA.example/x"))).Value);
        Assert.Equal("v6", Assert.Single(credentials.HeadersFor(Url("https://[2001:db8:0:0::1]:8443/x"))).Value);
        Assert.Equal("v4", Assert.Single(credentials.HeadersFor(Url("http://127.0.0.1:8081/x"))).Value);
        Assert.Empty(credentials.HeadersFor(Url("https://bucher.example/x")));
        Assert.Empty(credentials.HeadersFor(Url("https://[2001:db8::2]:8443/x")));
    }

    [Theory]
    [InlineData("*.repo.example.com")]
    [InlineData("https://repo.example.com/path")]
    [InlineData("repo.example.com/path")]
    [InlineData("ftp://repo.example.com")]
    [InlineData("user@repo.example.com")]
    [InlineData("https://user:pw@repo.example.com")]
    [InlineData("repo.example.com:99999")]
    [InlineData("repo.example.com:port")]
    [InlineData("repo.example.com?x=1")]
    [InlineData("https://")]
    [InlineData("repo example.com")]
    public void TryParse_KeyThatIsNotAnHttpOriginWithoutPath_MalformedWithoutEchoingIt(string key)
    {
        var ok = VendorCredentials.TryParse(
            Encoding.UTF8.GetBytes("{\"hosts\": {\"" + key + "\": {\"X-K\": \"1\"}}}"),
            out _,
            out var problem);

        Assert.False(ok);
        Assert.Equal("a key of \"hosts\" is not host, host:port or http[s]://host[:port]", problem);
    }

    [Fact]
    public async Task FetchAsync_CredentialsForTheHostOverHttpsOrAnotherPort_NotSentOverHttpToThisPort()
    {
        var body = Bytes(100);
        await using var origin = await OriginServer.StartAsync();
        origin.Map("/f", new OriginFile(body));
        var otherPort = new Uri(origin.Url("/")).Port + 1;
        await using var harness = HarnessWithCredentials(
            "{\"hosts\": {\"127.0.0.1\": {" + AuthorizationHeader + "}, \"http://127.0.0.1:" + otherPort + "\": {" + AuthorizationHeader + "}}}");

        var result = await harness.FetchAsync(origin.Url("/f"));

        AssertCompletedWith(result, harness.TempPath, body);
        Assert.Null(Assert.Single(origin.Requests).Header("Authorization"));
    }

    private static Uri Url(string text) => new(text, UriKind.Absolute);

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
        Assert.Empty(missing.HeadersFor(Url("https://example.com/x")));
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
