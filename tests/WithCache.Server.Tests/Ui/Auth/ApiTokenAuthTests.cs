using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using WithCache.Server.Audit;
using WithCache.Server.Catalog;
using WithCache.Server.Operations;
using WithCache.Server.Tests.Downloads;
using WithCache.Server.Tests.TestSupport;

namespace WithCache.Server.Tests.Ui.Auth;

public sealed partial class ApiTokenAuthTests : IDisposable
{
    private const string Password = "correct horse battery staple";
    private const string EnvToken = "env-token-for-the-auth-tests-0123456789";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task EveryApiRoute_WithoutToken_401ProblemWithBearerChallenge()
    {
        await using var server = await StartAsync();
        using var api = new ApiClient(server.BaseUrl, token: null);
        var routes = ApiClient.Routes(server).Select(r => (r.Method, Path: r.Pattern.Replace("{id:long}", "1", StringComparison.Ordinal))).ToList();
        Assert.True(routes.Count >= 10, string.Join(", ", routes));

        foreach (var (method, path) in routes)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method == "POST")
            {
                request.Content = new StringContent("{\"key\":\"https://vendor.example/x\",\"url\":\"https://vendor.example/x\"}", Encoding.UTF8, "application/json");
            }

            using var response = await api.Http.SendAsync(request);
            var problem = await ApiClient.ReadAsync(response);

            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} -> {(int)response.StatusCode}");
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(401, problem.GetProperty("status").GetInt32());
        }

        Assert.Empty(server.Get<CacheOperations>().ListEvents(new ListQuery()));
    }

    [Theory]
    [InlineData("Bearer wrong-token-of-some-length")]
    [InlineData("Bearer ")]
    [InlineData("bearer env-token-for-the-auth-tests-012345678")]
    public async Task WrongToken_401InvalidToken(string authorization)
    {
        await using var server = await StartAsync();
        using var api = new ApiClient(server.BaseUrl, token: null);
        api.Http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);

        using var response = await api.Http.GetAsync("/api/v1/artifacts");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnvToken_Works()
    {
        await using var server = await StartAsync();
        using var api = new ApiClient(server.BaseUrl, EnvToken);

        var (status, page) = await api.GetAsync("/api/v1/artifacts");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, page.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task UiSession_OrOpenUi_DoesNotOpenTheApi()
    {
        await using var guarded = await StartAsync();
        using var operatorClient = new OperatorClient(guarded.BaseUrl);
        (await operatorClient.LogInAsync(Password)).Dispose();
        using var openDir = new TempDir();
        await using var open = await ServerHost.StartAsync(openDir.Path);
        using var anyone = new OperatorClient(open.BaseUrl);

        using var withCookie = await operatorClient.Http.GetAsync("/api/v1/artifacts");
        using var openUi = await anyone.Http.GetAsync("/api/v1/artifacts");
        using var openUiPage = await anyone.Http.GetAsync("/admin/tokens");

        Assert.Equal(HttpStatusCode.Unauthorized, withCookie.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, openUi.StatusCode);
        Assert.Equal(HttpStatusCode.OK, openUiPage.StatusCode);
    }

    [Fact]
    public async Task UiToken_OpensTheApi_StoredOnlyAsHash_RevokedStopsIt()
    {
        await using var server = await StartAsync();
        using var ui = new OperatorClient(server.BaseUrl);
        (await ui.LogInAsync(Password)).Dispose();

        var token = await CreateTokenAsync(ui, "ci-bot");
        using var api = new ApiClient(server.BaseUrl, token);
        var (before, _) = await api.GetAsync("/api/v1/misses");
        var page = await ui.Http.GetStringAsync("/admin/tokens");
        var rows = ReadTokenRows(server);
        var id = Assert.Single(rows).Id;
        var antiforgery = await ui.GetTokenAsync("/admin/tokens");
        using var revoke = await ui.PostFormAsync($"/admin/tokens/{id}/revoke", [], antiforgery);
        var (after, _) = await api.GetAsync("/api/v1/misses");

        Assert.Equal(HttpStatusCode.OK, before);
        Assert.DoesNotContain(token, page, StringComparison.Ordinal);
        var row = Assert.Single(ReadTokenRows(server));
        Assert.Equal("ci-bot", row.Name);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token))), row.Hash);
        Assert.NotNull(row.LastUsedAt);
        Assert.True(row.Revoked);
        if (!TestBackends.Shared)
        {
            Assert.DoesNotContain(token, Encoding.Latin1.GetString(await File.ReadAllBytesAsync(Path.Combine(server.DataDir, "cache.db"))), StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.Redirect, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after);

        var events = server.Get<CacheOperations>().ListEvents(new ListQuery(Filter: "token."));
        Assert.Equal(
            [(AuditActions.TokenRevoked, "ci-bot", "operator (127.0.0.1)"), (AuditActions.TokenCreated, "ci-bot", "operator (127.0.0.1)")],
            events.Select(e => (e.Action, e.Subject, e.Actor)));
        Assert.All(server.Get<CacheOperations>().ListEvents(new ListQuery(Limit: 500)), e => Assert.DoesNotContain(token, e.Detail + e.Subject, StringComparison.Ordinal));
    }

    [Fact]
    public async Task UiToken_BadOrTakenName_Refused()
    {
        await using var server = await StartAsync();
        using var ui = new OperatorClient(server.BaseUrl);
        (await ui.LogInAsync(Password)).Dispose();
        await CreateTokenAsync(ui, "ci");

        foreach (var name in new[] { "ci", "env", "", "with space", new string('x', 65) })
        {
            var antiforgery = await ui.GetTokenAsync("/admin/tokens");
            using var response = await ui.PostFormAsync("/admin/tokens", [new("name", name)], antiforgery);
            var html = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain("id=\"new-token\"", html, StringComparison.Ordinal);
            Assert.Contains("flash error", html, StringComparison.Ordinal);
        }

        Assert.Single(ReadTokenRows(server));
    }

    [Fact]
    public async Task TokenPosts_WithoutAntiforgery_400()
    {
        await using var server = await StartAsync();
        using var ui = new OperatorClient(server.BaseUrl);
        (await ui.LogInAsync(Password)).Dispose();

        using var create = await ui.PostFormAsync("/admin/tokens", [new("name", "sneaky")], token: null);

        Assert.Equal(HttpStatusCode.BadRequest, create.StatusCode);
        Assert.Empty(ReadTokenRows(server));
    }

    [Fact]
    public async Task WrongTokens_PastTheLimit_429EvenForTheRightOne()
    {
        await using var server = await StartAsync(s => s["Api:FailedAttemptsPerMinute"] = "3");
        using var wrong = new ApiClient(server.BaseUrl, "not-the-token-at-all");
        using var right = new ApiClient(server.BaseUrl, EnvToken);
        var (rightBefore, _) = await right.GetAsync("/api/v1/jobs");

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            statuses.Add((await wrong.GetAsync("/api/v1/jobs")).Status);
        }

        using var throttled = await right.Http.GetAsync("/api/v1/jobs");

        Assert.Equal(HttpStatusCode.OK, rightBefore);
        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.Equal("application/problem+json", throttled.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(throttled.Headers.RetryAfter);
    }

    [Fact]
    public async Task WrongToken_NeverLogged()
    {
        var logs = new RecordingLoggerProvider();
        await using var server = await ServerHost.StartAsync(_dir.Path, s =>
        {
            s["Api:Token"] = EnvToken;
            s["Logging:LogLevel:Default"] = "Trace";
            s["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace";
        }, builder => builder.Logging.AddProvider(logs));
        using var wrong = new ApiClient(server.BaseUrl, "a-wrong-token-to-look-for");
        using var right = new ApiClient(server.BaseUrl, EnvToken);

        await wrong.GetAsync("/api/v1/artifacts");
        await right.GetAsync("/api/v1/artifacts");

        Assert.Contains(logs.Lines, m => m.Contains("Wrong API token from 127.0.0.1", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, m => m.Contains("a-wrong-token-to-look-for", StringComparison.Ordinal) || m.Contains(EnvToken, StringComparison.Ordinal));
    }

    private Task<ServerHost> StartAsync(Action<Dictionary<string, string?>>? configure = null) =>
        ServerHost.StartAsync(_dir.Path, s =>
        {
            s["Api:Token"] = EnvToken;
            s["Ui:AdminPassword"] = Password;
            configure?.Invoke(s);
        });

    private static async Task<string> CreateTokenAsync(OperatorClient ui, string name)
    {
        var antiforgery = await ui.GetTokenAsync("/admin/tokens");
        using var response = await ui.PostFormAsync("/admin/tokens", [new("name", name)], antiforgery);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
        var match = NewToken().Match(html);
        Assert.True(match.Success, html);
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    /// <summary>The api_tokens rows, oldest first, read back through the server's own catalog (SQLite or PostgreSQL).</summary>
    private static List<ApiTokenRecord> ReadTokenRows(ServerHost server) => [.. server.Get<ICacheCatalog>().ListApiTokens().OrderBy(t => t.Id)];

    [GeneratedRegex("id=\"new-token-value\" value=\"([^\"]+)\"")]
    private static partial Regex NewToken();
}
