using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using CsCheck;
using WithCache.Core;
using WithCache.Core.Tests.TestSupport;
using WithCache.Server.Tests.TestSupport;

namespace WithCache.Server.Tests.ReadPath;

/// <summary>
/// Generated requests from anyone on the LAN against the real server: random methods, paths under <c>/b/</c>,
/// tokens, <c>url=</c> values and Range / precondition headers, through HttpClient and as raw bytes over TCP (which
/// HttpClient would refuse to send). Never a 5xx, never a hang, and the server still answers <c>/healthz</c>.
/// Some origins are cached first, so ranges and preconditions meet real hits. Fills may go to the loopback origin
/// only (an allow-list of 127.0.0.1), so a random origin is refused at once and no request leaves the machine.
/// CsCheck prints the seed of a failure; set <c>CsCheck_Seed</c> to replay it.
/// </summary>
public sealed partial class RandomRequestTests : IAsyncLifetime
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    // Paths with names a browser or the tools must not trip on: quotes, CR LF, a bidi override, a byte that is not
    // UTF-8, and an empty last segment. Not "%00": Kestrel answers 400 to a path with an escaped NUL before the
    // read path sees it, so such an origin can never be served under /b/ (its /blob?url= form works).
    private static readonly string[] SeedPaths =
        ["/seed/small.bin", "/seed/large.bin", "/seed/%22q%22%0D%0Ax;%20y.bin", "/seed/%E2%80%AE%FF.bin", "/seed/"];

    private static readonly Gen<string> Method = Gen.Frequency(
        (8, Gen.OneOf("GET", "HEAD")),
        (2, Gen.OneOf("POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "PROPFIND", "get", "FOO")));

    private static readonly Gen<string> HeaderName = Gen.OneOf(
        "Range", "Range", "If-Range", "If-None-Match", "If-Match", "If-Modified-Since", "If-Unmodified-Since",
        "Accept-Encoding", "Accept", "Cookie", "Authorization", "X-Garbage");

    private static readonly Gen<string> GarbageHeaderValue = Gen.Frequency(
        (3, Gen.OneOf(
            "bytes=0-0", "bytes=0-10", "bytes=-5", "bytes=10-", "bytes=5-1", "bytes=0-0,2-3,1-1", "bytes=-0", "bytes=",
            "bytes=99999999999999999999-", "bytes=0-10, 20-", "bytes=abc", "items=1-2", "bytes=0-1,-1,2-", "*", "W/\"x\"",
            "\"x\"", "\"x\", *", "Thu, 01 Jan 1970 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "not a date",
            "gzip, br", "")),
        (2, Gen.String[Gen.Char[' ', '~'], 0, 40]));

    // The name after the token: ignored by the server, but it reaches the router and must not trip it.
    private static readonly Gen<string> Name = Gen.Frequency(
        (3, Gen.String[Gen.Char["abcXYZ019-_.~"], 0, 12]),
        (1, Gen.OneOf("", "%2F", "..", "a/b/c", "%00", "%zz", "%", "x%20y", "%E2%80%AE", "%FF")));

    private readonly TempDir _dir = new();
    private ArtifactOrigin _origin = null!;
    private ServerHost _server = null!;
    private string[] _seededOrigins = [];
    private string[] _seededValidators = [];

    public async Task InitializeAsync()
    {
        _origin = await ArtifactOrigin.StartAsync();
        _server = await ServerHost.StartAsync(_dir.Path, settings => settings["Fetch:AllowHosts:0"] = "127.0.0.1");
        var origins = new List<string>();
        var validators = new List<string>();
        for (var i = 0; i < SeedPaths.Length; i++)
        {
            var body = TestData.Bytes(i == 1 ? 300_000 : 5000, seed: i);
            var origin = _origin.Add(SeedPaths[i], body);
            using var hit = await _server.WaitForHitAsync(origin);
            Assert.True(hit.IsSuccessStatusCode, $"{origin} was not cached: {(int)hit.StatusCode}");
            origins.Add(origin);
            var etag = $"\"{TestData.Sha256Hex(body)}\"";
            validators.AddRange([etag, "W/" + etag, etag + ", \"other\""]);
            if (hit.Content.Headers.LastModified is { } modified)
            {
                validators.Add(modified.ToString("R", CultureInfo.InvariantCulture));
            }
        }

        _seededOrigins = [.. origins];
        _seededValidators = [.. validators];
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _origin.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task HttpClient_RandomRequests_NeverServerErrorNorHang()
    {
        var header = Gen.Select(HeaderName, Gen.Frequency((3, GarbageHeaderValue), (2, Gen.OneOf(_seededValidators))));
        var body = Gen.Frequency((4, Gen.Const((byte[]?)null)), (1, Gen.Byte.Array[0, 2000].Select(bytes => (byte[]?)bytes)));
        var requests = Gen.Select(Method, Target(), header.Array[0, 3], body);

        await requests.SampleAsync(async (method, target, headers, content) =>
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), target);
            foreach (var (name, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            request.Content = content is null ? null : new ByteArrayContent(content);
            using var timeout = new CancellationTokenSource(RequestTimeout);
            using var response = await _server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var received = await response.Content.ReadAsByteArrayAsync(timeout.Token);

            Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode}: {Encoding.UTF8.GetString(received)}");
            if (method != "HEAD" && response.Content.Headers.ContentLength is { } length)
            {
                Assert.Equal(length, received.Length);
            }
        }, iter: 600, threads: 2, print: request => $"{request.Item1} {request.Item2} [{string.Join(" | ", request.Item3.Select(h => h.Item1 + ": " + h.Item2))}] body {request.Item4?.Length}");

        await AssertHealthyAsync();
    }

    [Fact]
    public async Task RawTcp_RandomRequestBytes_NeverServerErrorNorHang()
    {
        var port = new Uri(_server.BaseUrl).Port;
        await RawRequest(port).SampleAsync(async request =>
        {
            var status = await SendRawAsync(port, request);

            Assert.True(status is not null, "the connection closed without a status line");
            Assert.Matches(@"^HTTP/1\.[01] \d\d\d ", status);

            // 505 is Kestrel's answer when the request line's third field is not HTTP/1.0 or HTTP/1.1 (RFC 9110
            // section 15.6.6), which a space in the target also brings about: no 5xx is ever allowed for a request line
            // of the form "method SP target SP HTTP/1.x".
            var code = int.Parse(status.AsSpan(9, 3), CultureInfo.InvariantCulture);
            Assert.True(code < 500 || (code == 505 && !WellFormedRequestLine().IsMatch(Encoding.Latin1.GetString(request))), status);
        }, iter: 600, threads: 2, print: Printable);

        await AssertHealthyAsync();
        Assert.StartsWith("HTTP/1.1 200 ", await SendRawAsync(port, Encoding.ASCII.GetBytes("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")));
    }

    private Gen<string> Target()
    {
        var seeded = Gen.OneOf(_seededOrigins);
        return Gen.Frequency(
            (3, Gen.Select(seeded, Name, (origin, name) => FetchTarget(origin, name))),
            (2, Gen.Select(seeded, Gen.OneOf("", "?x=1", "#f", "?", "?a=%zz"), (origin, tail) => "/blob?url=" + PercentEncode(origin + tail))),
            (3, Gen.Select(OriginGen.Origin, Name, (origin, name) => FetchTarget(origin.Text, name))),
            (2, Gen.Select(OriginGen.TokenText, Name, (token, name) => "/b/" + PercentEncode(token) + "/" + name)),
            (2, OriginGen.AnyText.Select(text => "/blob?url=" + PercentEncode(text))),
            (1, Gen.String[Gen.Char["abcXYZ019-_/.%"], 0, 30].Select(path => "/b/" + path)),
            (1, Gen.OneOf(
                "/blob", "/blob?", "/blob?url", "/blob?url=", "/blob?url=a&url=b", "/blob?url=%zz", "/blob?url=%",
                "/b", "/b/", "/b//", "/b/%2F/x", "/b/..%2F..%2Fetc/passwd", "/healthz", "/healthz?x=1", "/nothing/here")));
    }

    private static string FetchTarget(string origin, string name) => FetchUrl.RoutePrefix + OriginToken.Encode(origin) + "/" + name;

    // Raw requests: a method, a request target of arbitrary bytes (invalid percent escapes, bytes that are not
    // UTF-8, overlong, absolute- and asterisk-form), a version, and headers with garbage or overlong values.
    private Gen<byte[]> RawRequest(int port)
    {
        var method = Gen.Frequency((8, Method), (1, Gen.OneOf("", "G\0T", "GET GET", "\u00e9")));
        var target = Gen.Frequency(
            (3, Target()),
            (2, Gen.Select(Gen.OneOf("/b/", "/blob?url=", "/", ""), Gen.Byte[0x21, 0xFF].Array[1, 60], (prefix, bytes) => prefix + Encoding.Latin1.GetString(bytes))),
            (1, Gen.Byte.Array[0, 40].Select(Encoding.Latin1.GetString)),
            (1, Gen.Select(Gen.OneOf("/b/", "/blob?url=http://h/"), Gen.Int[8_000, 200_000], (prefix, length) => prefix + new string('A', length))),
            (1, Gen.OneOf("*", "127.0.0.1:443", "http://127.0.0.1/healthz", "http://other/b/x/y", "/b/%", "/b/%e9%/x", "/blob?url=%E9%", "//b/x", "\\b\\x")));
        var version = Gen.Frequency((8, Gen.Const("HTTP/1.1")), (2, Gen.Const("HTTP/1.0")), (1, Gen.OneOf("HTTP/2.0", "HTTP/1.2", "HTTPS/1.1", "", "http/1.1", "HTTP/1.1 x")));
        var host = Gen.Frequency(
            (8, Gen.Const($"Host: 127.0.0.1:{port}\r\n")),
            (1, Gen.OneOf("", "Host: a\r\nHost: b\r\n", "Host: \r\n", "Host: [::1\r\n", "Host: a b\r\n")));
        var header = Gen.Frequency(
            (4, Gen.Select(HeaderName, Gen.Frequency((3, GarbageHeaderValue), (2, Gen.OneOf(_seededValidators))), (name, value) => $"{name}: {value}\r\n")),
            (2, Gen.Select(HeaderName, Gen.Byte[0x01, 0xFF].Array[0, 40], (name, value) => $"{name}: {Encoding.Latin1.GetString(value).Replace("\r\n", "", StringComparison.Ordinal)}\r\n")),
            (1, Gen.Select(HeaderName, Gen.Int[4_000, 70_000], (name, length) => $"{name}: {new string('a', length)}\r\n")),
            (1, Gen.OneOf("X: a\r\n b\r\n", " X: y\r\n", "X : y\r\n", "NoColon\r\n", ": empty\r\n", "X:\0\r\n", "\u00e9: y\r\n")));
        var body = Gen.OneOf(
            "", "", "", "Content-Length: 5\r\n\r\nhello", "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            "Content-Length: -1\r\n\r\n", "Content-Length: abc\r\n\r\n", "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            "Transfer-Encoding: gzip\r\n\r\n", "Transfer-Encoding: chunked\r\n\r\nzz\r\n\r\n");
        return Gen.Select(method, target, version, host, header.Array[0, 3], body, (m, t, v, h, headers, b) =>
        {
            var text = string.Concat(m, " ", t, " ", v, "\r\n", h, string.Concat(headers), "Connection: close\r\n", b.Length == 0 ? "\r\n" : b);
            return Encoding.Latin1.GetBytes(text.Select(c => c > '\u00ff' ? '?' : c).ToArray());
        });
    }

    /// <summary>Sends the bytes and returns the response's status line, or null if the server closed without one.</summary>
    private static async Task<string?> SendRawAsync(int port, byte[] request)
    {
        using var timeout = new CancellationTokenSource(RequestTimeout);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(request, timeout.Token);
        }
        catch (IOException)
        {
            // The server may answer (431, 414, 400) and close before it has read all of a long request.
        }

        var received = new List<byte>();
        var buffer = new byte[1024];
        while (received.Count < 8192)
        {
            int read;
            try
            {
                read = await stream.ReadAsync(buffer, timeout.Token);
            }
            catch (IOException)
            {
                break;
            }

            if (read == 0)
            {
                break;
            }

            received.AddRange(buffer.AsSpan(0, read));
            var end = received.IndexOf((byte)'\n');
            if (end >= 0)
            {
                return Encoding.Latin1.GetString([.. received[..end]]).TrimEnd('\r');
            }
        }

        return null;
    }

    private async Task AssertHealthyAsync()
    {
        using var timeout = new CancellationTokenSource(RequestTimeout);
        using var response = await _server.Client.GetAsync("/healthz", timeout.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    // UTF-8 percent-encoding of everything but unreserved characters (a lone surrogate goes as U+FFFD's bytes).
    private static string PercentEncode(string text)
    {
        var builder = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    [GeneratedRegex(@"\A[^ \r\n]+ [^ \r\n]+ HTTP/1\.[01]\r\n")]
    private static partial Regex WellFormedRequestLine();

    private static string Printable(byte[] request)
    {
        var text = Encoding.Latin1.GetString(request);
        return OriginGen.Escape(text.Length <= 400 ? text : text[..400] + $"... ({text.Length} bytes)");
    }
}
