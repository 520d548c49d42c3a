using System.Net;
using WithCache.Core;
using WithCache.Server.Catalog;
using WithCache.Server.Tests.TestSupport;

namespace WithCache.Server.Tests.ReadPath;

/// <summary>Malformed tokens and url= values from anyone on the LAN: a 400 with a one-line reason, never a 500, nothing written.</summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private ServerHost _server = null!;

    public async Task InitializeAsync() => _server = await ServerHost.StartAsync(_dir.Path);

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    public static IEnumerable<string> BadOrigins()
    {
        yield return "";
        yield return "relative/path.bin";
        yield return "/absolute/path.bin";
        yield return "//host/x";
        yield return "file:///etc/passwd";
        yield return "ftp://example.com/file";
        yield return "gopher://example.com/";
        yield return "javascript:alert(1)";
        yield return "http://";
        yield return "http:///nohost";
        yield return "http://:80/x";
        yield return "http://user:pw@example.com/x";
        yield return "https://token@example.com/x";
        yield return "http://example.com:99999/x";
        yield return "http://example.com:abc/x";
        yield return "http://[::1/x";
        yield return "http://exa mple.com/x";
        yield return "http://example.com/\n/x";
        yield return "http://example.com/\0";
        yield return "https://example.com/" + new string('a', 64 * 1024);
        for (var i = 0; i < 40; i++)
        {
            yield return "http://user" + i + "@h" + i + ".example/x";
            yield return "ftp://h" + i + ".example/f" + i;
        }
    }

    public static IEnumerable<string> BadTokens()
    {
        yield return "not base64!";
        yield return "aGVsbG8=";
        yield return "aGVsbG8+";
        yield return "a";
        yield return "aaaaa";
        yield return "%00";
        yield return "_w"; // 0xFF: not UTF-8
        yield return "wCg"; // 0xC0 0x28
        yield return "7aCA"; // surrogate
        yield return "QR"; // leftover bits set: TryDecode threw FormatException, a 500
        yield return "XX";
        yield return new string('A', 200_000 / 2);
        var random = new Random(42);
        for (var i = 0; i < 40; i++)
        {
            var bytes = new byte[random.Next(1, 40)];
            random.NextBytes(bytes);
            bytes[0] = 0xFF; // never valid UTF-8
            yield return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        }
    }

    [Fact]
    public async Task Malformed_TwoHundredPathsAndUrls_All400WithReasonAndNothingWritten()
    {
        var requests = new List<string>();
        foreach (var origin in BadOrigins())
        {
            requests.Add("/b/" + OriginToken.Encode(origin) + "/x");
            requests.Add("/blob?url=" + Uri.EscapeDataString(origin));
        }

        foreach (var token in BadTokens())
        {
            requests.Add("/b/" + Uri.EscapeDataString(token) + "/name");
        }

        requests.Add("/blob");
        requests.Add("/blob?url=");
        requests.Add("/blob?url=a&url=b");
        Assert.True(requests.Count >= 200, $"{requests.Count} requests");

        foreach (var path in requests)
        {
            foreach (var method in new[] { HttpMethod.Get, HttpMethod.Head })
            {
                using var response = await _server.Client.SendAsync(new HttpRequestMessage(method, path));
                Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{method} {Shorten(path)} -> {(int)response.StatusCode}");
                if (method == HttpMethod.Get)
                {
                    var reason = await response.Content.ReadAsStringAsync();
                    Assert.Single(reason.TrimEnd('\n').Split('\n'));
                    Assert.NotEmpty(reason.Trim());
                }
            }
        }

        await Task.Delay(300); // two counter flush intervals
        var database = _server.Get<ICacheCatalog>();
        Assert.Equal(0, database.CountMisses());
        Assert.Empty(database.ListJobs(new ListQuery()));
        Assert.Empty(_server.BlobFiles());
        Assert.Empty(_server.TempFiles());
    }

    [Fact]
    public async Task UnknownRoute_Answers404NotServerError()
    {
        using var response = await _server.Client.GetAsync("/nothing/here");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("/b/")]
    [InlineData("/b//name")]
    [InlineData("/b//")]
    public async Task FetchRoute_WithoutToken_Answers400(string path)
    {
        using var response = await _server.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "...";
}
