using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using WithCache.Server.Catalog;
using WithCache.Server.Tests.TestSupport;
using static WithCache.Server.Tests.Downloads.FillFaultTests;

namespace WithCache.Server.Tests.Downloads;

/// <summary>
/// Vendor credentials and other secrets end to end: a credential for one host never follows a redirect to another
/// through the download worker, and none of the secrets (credential values, signed-query signatures, the admin
/// password, the session secret) shows up in the server's log (every category it prints, at Trace), the operator
/// pages or the answers to misses, whatever the fills did.
/// </summary>
public sealed class FillSecretsTests : IAsyncLifetime
{
    private const string CredentialToken = "vendor-credential-Q7xk2m";
    private const string Credential = "Bearer " + CredentialToken;
    private const string ApiKey = "api-key-Lw93hd";
    private const string Signature = "signature-Vn40pz";
    private const string CdnSignature = "cdn-signature-Ha71qe";
    private const string AdminPassword = "admin-password-Rt58cw";
    private const string SessionSecret = "session-secret-Mb26yu-long-enough-for-hkdf";

    private static readonly string[] Secrets = [CredentialToken, ApiKey, Signature, CdnSignature, AdminPassword, SessionSecret];

    private readonly TempDir _dir = new();
    private readonly RecordingLoggerProvider _logs = new();
    private OriginServer _vendor = null!;
    private OriginServer _cdn = null!;

    public async Task InitializeAsync()
    {
        _vendor = await OriginServer.StartAsync("127.0.0.1");
        _cdn = await OriginServer.StartAsync("127.0.0.2");
        await File.WriteAllTextAsync(
            Path.Combine(_dir.Path, "credentials.json"),
            "{\"hosts\": {\"" + new Uri(_vendor.Url("/")).GetLeftPart(UriPartial.Authority) + "\": {\"Authorization\": \"" + Credential + "\", \"X-Api-Key\": \"" + ApiKey + "\"}}}");
    }

    public async Task DisposeAsync()
    {
        await _cdn.DisposeAsync();
        await _vendor.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Fill_CredentialedHostRedirectsToAnotherHost_CredentialsStayWithTheirHost()
    {
        var body = TestData.Bytes(50_000, seed: 50);
        var cdnPath = $"/blobs/cuda.run?X-Amz-Signature={CdnSignature}";
        _cdn.Map(cdnPath, new OriginFile(body));
        var vendorPath = $"/cuda/cuda.run?sig={Signature}";
        _vendor.MapRedirect(vendorPath, _cdn.Url(cdnPath));
        var url = _vendor.Url(vendorPath);
        await using var server = await StartServerAsync();

        await server.MissAsync(url);

        await AssertFilledWithAsync(server, url, body);
        var atVendor = Assert.Single(_vendor.RequestsTo(vendorPath));
        Assert.Equal(Credential, atVendor.Header("Authorization"));
        Assert.Equal(ApiKey, atVendor.Header("X-Api-Key"));
        var atCdn = Assert.Single(_cdn.RequestsTo(cdnPath));
        Assert.Null(atCdn.Header("Authorization"));
        Assert.Null(atCdn.Header("X-Api-Key"));
        Assert.DoesNotContain(atCdn.Headers.Values, value => value.Contains(CredentialToken, StringComparison.Ordinal) || value.Contains(ApiKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Fills_ThatUseCredentialsFailRedirectAndAreRefused_NoSecretInLogsPagesOrMissAnswers()
    {
        // Accepts and hangs up without a word: a network error whose exception text lands in the reason.
        using var hangUp = RawOrigin.Start(_ => []);
        var hangUpPort = hangUp.Port.ToString(CultureInfo.InvariantCulture);

        var cdnPath = $"/blobs/driver.run?X-Amz-Signature={CdnSignature}";
        _cdn.Map(cdnPath, new OriginFile(TestData.Bytes(20_000, seed: 51)));
        var completed = Vendor("/ok.run", key => _vendor.Map(key, new OriginFile(TestData.Bytes(10_000, seed: 52))));
        var redirected = Vendor("/driver.run", key => _vendor.MapRedirect(key, _cdn.Url(cdnPath)));
        var denied = Vendor("/licensed.run", key => _vendor.MapStatus(key, 403));
        var broken = Vendor("/broken.run", key => _vendor.MapStatus(key, 503));
        var toLoopback = Vendor("/steal.run", key => _vendor.MapRedirect(key, $"http://127.0.0.3:{hangUpPort}/x?token={CdnSignature}"));
        var toHangUp = Vendor("/moved.run", key => _vendor.MapRedirect(key, $"http://127.0.0.1:{hangUpPort}/x?token={CdnSignature}"));
        var toUserinfo = Vendor("/userinfo.run", key => _vendor.MapRedirect(key, $"http://mirror:{CdnSignature}@127.0.0.2:{_cdn.Port.ToString(CultureInfo.InvariantCulture)}/x"));
        var metadata = $"http://169.254.169.254/latest/meta-data/iam?X-Amz-Signature={Signature}";
        await using var server = await StartServerAsync();

        var answers = new List<string>();
        foreach (var url in new[] { completed, redirected, denied, broken, toLoopback, toHangUp, toUserinfo, metadata })
        {
            answers.Add(await server.MissAsync(url));
        }

        var jobs = new Dictionary<string, JobRecord>();
        foreach (var url in new[] { completed, redirected, denied, broken, toLoopback, toHangUp, toUserinfo })
        {
            jobs[url] = (await server.WaitForJobAsync(url)).Job;
        }

        answers.Add(await server.MissAsync(denied));
        using var operatorClient = new OperatorClient(server.BaseUrl);
        var pages = new List<string> { await operatorClient.Http.GetStringAsync("/login") };
        using (var login = await operatorClient.LogInAsync(AdminPassword))
        {
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        }

        foreach (var path in new[] { "/admin/downloads", "/admin/downloads/rows", "/admin/misses", "/admin/artifacts", "/admin/add" })
        {
            pages.Add(await operatorClient.Http.GetStringAsync(path));
        }

        // What was seen is what the test meant: credentials were sent, every fill ended as planned, the pages are
        // the signed-in ones, and the log holds the fetcher's Debug lines.
        Assert.Equal(Credential, _vendor.RequestsTo($"/licensed.run?sig={Signature}")[0].Header("Authorization"));
        Assert.Equal(JobState.Completed, jobs[completed].State);
        Assert.Equal(JobState.Completed, jobs[redirected].State);
        Assert.Equal("origin answered 403 Forbidden", jobs[denied].Reason);
        Assert.Equal("origin answered 503 Service Unavailable; gave up after 5 attempts", jobs[broken].Reason);
        Assert.StartsWith("redirect to 127.0.0.3:", jobs[toLoopback].Reason, StringComparison.Ordinal);
        Assert.StartsWith($"could not reach 127.0.0.1:{hangUpPort}: ", jobs[toHangUp].Reason, StringComparison.Ordinal);
        Assert.EndsWith("refused: URL carries credentials (user@host)", jobs[toUserinfo].Reason, StringComparison.Ordinal);
        Assert.StartsWith("not cached; will not fetch: 169.254.169.254 is a cloud metadata address", answers[7], StringComparison.Ordinal);
        Assert.Contains(pages, page => page.Contains("origin answered 403 Forbidden", StringComparison.Ordinal));
        Assert.Contains(_logs.Lines, line => line.StartsWith("Debug WithCache.Server.Downloads.OriginFetcher[2000]", StringComparison.Ordinal));
        Assert.Contains(_logs.Lines, line => line.StartsWith("Warning WithCache.Server.Downloads.DownloadWorker[1202]", StringComparison.Ordinal));

        foreach (var secret in Secrets)
        {
            Assert.DoesNotContain(_logs.Lines, line => line.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(pages, page => page.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(answers, answer => answer.Contains(secret, StringComparison.Ordinal));
        }
    }

    /// <summary>A vendor URL with a signed query; <paramref name="map"/> maps its raw target (path and query) on the vendor origin.</summary>
    private string Vendor(string path, Action<string> map)
    {
        var target = $"{path}?sig={Signature}";
        map(target);
        return _vendor.Url(target);
    }

    /// <summary>
    /// The server with the operator login, a fixed session secret, the CDN host allowed beside the vendor's, and its
    /// log recorded as it prints it with every category's level set to Trace in configuration. The server's own filter
    /// still holds Microsoft.AspNetCore at Warning, and wins over that setting: a request line carries the fetch URL,
    /// whose query is by protocol the origin's (signed) query, so the framework's request logs would print signatures.
    /// </summary>
    private Task<ServerHost> StartServerAsync() =>
        ServerHost.StartAsync(
            _dir.Path,
            s =>
            {
                s["Fetch:AllowNetworks:1"] = "127.0.0.2/32";
                s["Ui:AdminPassword"] = AdminPassword;
                s["Ui:SessionSecret"] = SessionSecret;
                s["Logging:LogLevel:Default"] = "Trace";
                s["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace";
            },
            builder => builder.Logging.AddProvider(_logs));
}
