using System.Net;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using WithCache.Server.Tests.TestSupport;
using WithCache.Server.Ui.Auth;

namespace WithCache.Server.Tests.Ui.Auth;

public sealed class OperatorAuthTests : IAsyncLifetime
{
    private const string Password = "correct horse battery staple";
    private readonly TempDir _dir = new();
    private ServerHost _server = null!;

    public async Task InitializeAsync() =>
        _server = await ServerHost.StartAsync(_dir.Path, s => s["Ui:AdminPassword"] = Password);

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task AdminEndpoints_WithoutSession_RedirectOrUnauthorized()
    {
        using var client = new OperatorClient(_server.BaseUrl);
        var endpoints = AdminEndpoints();
        Assert.NotEmpty(endpoints);

        foreach (var (method, path) in endpoints)
        {
            using var response = await client.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            if (method == "GET")
            {
                Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{method} {path} -> {(int)response.StatusCode}");
                Assert.StartsWith("/login", response.Headers.Location!.OriginalString.Replace(_server.BaseUrl, "", StringComparison.Ordinal), StringComparison.Ordinal);
            }
            else
            {
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} -> {(int)response.StatusCode}");
            }
        }
    }

    [Fact]
    public async Task AdminPosts_WithSessionButNoAntiforgeryToken_Answer400()
    {
        using var client = new OperatorClient(_server.BaseUrl);
        using (var login = await client.LogInAsync(Password))
        {
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        }

        var posts = AdminEndpoints().Where(e => e.Method != "GET").ToList();
        Assert.NotEmpty(posts);
        foreach (var (_, path) in posts)
        {
            using var response = await client.PostFormAsync(path, [new("key", "http://h/x"), new("url", "http://h/x")], token: null);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"POST {path} -> {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task Login_WrongPassword_NoSession()
    {
        using var client = new OperatorClient(_server.BaseUrl);

        using var response = await client.LogInAsync("wrong");
        using var page = await client.Http.GetAsync("/admin/misses");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Wrong password", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(client.Cookies.GetAllCookies(), c => c.Name == "withcache_session");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
    }

    [Fact]
    public async Task Login_RightPassword_OpensAdminPages()
    {
        using var client = new OperatorClient(_server.BaseUrl);

        using var response = await client.LogInAsync(Password);
        using var page = await client.Http.GetAsync("/admin/misses");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var cookie = Assert.Single(client.Cookies.GetAllCookies(), c => c.Name == "withcache_session");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    [Fact]
    public async Task Login_TwentyFastWrongAttempts_Throttled()
    {
        using var client = new OperatorClient(_server.BaseUrl);
        var token = await client.GetTokenAsync("/login");
        var statuses = new List<HttpStatusCode>();

        for (var i = 0; i < 20; i++)
        {
            using var response = await client.PostFormAsync("/login", [new("password", "guess" + i)], token);
            statuses.Add(response.StatusCode);
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        using var rightButThrottled = await client.PostFormAsync("/login", [new("password", Password)], token);
        Assert.Equal(HttpStatusCode.TooManyRequests, rightButThrottled.StatusCode);
    }

    [Fact]
    public async Task Logout_CopiedCookie_StopsWorking()
    {
        using var client = new OperatorClient(_server.BaseUrl);
        (await client.LogInAsync(Password)).Dispose();
        var session = client.Cookies.GetAllCookies().Single(c => c.Name == "withcache_session");
        using var thief = new OperatorClient(_server.BaseUrl);
        thief.Cookies.Add(new Cookie(session.Name, session.Value, "/", session.Domain));
        using (var before = await thief.Http.GetAsync("/admin/misses"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var token = await client.GetTokenAsync("/admin/misses");
        using var logout = await client.PostFormAsync("/logout", [], token);
        using var after = await thief.Http.GetAsync("/admin/misses");

        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
    }

    [Fact]
    public async Task Session_ServerRestarts_StillValid()
    {
        using var client = new OperatorClient(_server.BaseUrl);
        (await client.LogInAsync(Password)).Dispose();
        var session = client.Cookies.GetAllCookies().Single(c => c.Name == "withcache_session");

        await _server.RestartAsync();
        using var again = new OperatorClient(_server.BaseUrl);
        again.Cookies.Add(new Cookie(session.Name, session.Value, "/", session.Domain));
        using var page = await again.Http.GetAsync("/admin/misses");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.True(Directory.EnumerateFiles(Path.Combine(_dir.Path, "keys")).Any());
    }

    [Fact]
    public async Task SessionSecret_SameSecretOnAnotherHost_AcceptsTheCookieAndWritesNoKeys()
    {
        using var otherDir = new TempDir();
        using var thirdDir = new TempDir();
        await using var first = await ServerHost.StartAsync(otherDir.Path, s =>
        {
            s["Ui:AdminPassword"] = Password;
            s["Ui:SessionSecret"] = "shared lab secret";
        });
        using var client = new OperatorClient(first.BaseUrl);
        (await client.LogInAsync(Password)).Dispose();
        var session = client.Cookies.GetAllCookies().Single(c => c.Name == "withcache_session");
        await first.StopAsync();

        // Same catalog (sessions live there: the data dir's, or a shared database) but a new process: only the secret
        // carries the key.
        var catalog = first.Settings.GetValueOrDefault("WithCache:Catalog");
        await using var second = await ServerHost.StartAsync(otherDir.Path, s =>
        {
            s["Ui:AdminPassword"] = Password;
            s["Ui:SessionSecret"] = "shared lab secret";
            s["WithCache:Catalog"] = catalog;
        });
        await using var wrongSecret = await ServerHost.StartAsync(thirdDir.Path, s =>
        {
            s["Ui:AdminPassword"] = Password;
            s["Ui:SessionSecret"] = "another secret";
            s["WithCache:Catalog"] = catalog;
        });
        using var same = new OperatorClient(second.BaseUrl);
        same.Cookies.Add(new Cookie(session.Name, session.Value, "/", session.Domain));
        using var other = new OperatorClient(wrongSecret.BaseUrl);
        other.Cookies.Add(new Cookie(session.Name, session.Value, "/", session.Domain));

        using var accepted = await same.Http.GetAsync("/admin/misses");
        using var refused = await other.Http.GetAsync("/admin/misses");

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.False(Directory.Exists(Path.Combine(otherDir.Path, "keys")));
    }

    [Fact]
    public async Task AnyResponse_HasContentSecurityPolicyWithoutInlineScript()
    {
        using var client = new OperatorClient(_server.BaseUrl);

        using var response = await client.Http.GetAsync("/login");

        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task ReadPath_WithPasswordSet_NeedsNoSession()
    {
        using var client = new OperatorClient(_server.BaseUrl);

        using var health = await client.Http.GetAsync("/healthz");
        using var miss = await client.Http.GetAsync(ServerHost.FetchPath("https://example.com/x.bin"));

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, miss.StatusCode);
    }

    [Fact]
    public async Task OpenMode_NoPassword_AdminPagesNeedNoLogin()
    {
        using var openDir = new TempDir();
        await using var open = await ServerHost.StartAsync(openDir.Path);
        using var client = new OperatorClient(open.BaseUrl);

        using var page = await client.Http.GetAsync("/admin/misses");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    [Theory]
    [InlineData("/admin/misses", "/admin/misses")]
    [InlineData("/", "/")]
    [InlineData("//evil.example/x", null)]
    [InlineData("/\\evil.example", null)]
    [InlineData("https://evil.example/", null)]
    [InlineData("javascript:alert(1)", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void SafeReturnUrl_OnlyLocalPaths(string? input, string? expected)
    {
        Assert.Equal(expected, OperatorAuth.SafeReturnUrl(input));
    }

    private List<(string Method, string Path)> AdminEndpoints()
    {
        var result = new List<(string, string)>();
        foreach (var endpoint in _server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = "/" + (endpoint.RoutePattern.RawText ?? "").TrimStart('/');
            if (!pattern.StartsWith("/admin", StringComparison.Ordinal))
            {
                continue;
            }

            var path = pattern.Replace("{id}", "1", StringComparison.Ordinal).Replace("{id:long}", "1", StringComparison.Ordinal);
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            foreach (var method in methods.Where(m => m != "HEAD"))
            {
                result.Add((method, path));
            }
        }

        return result;
    }
}
