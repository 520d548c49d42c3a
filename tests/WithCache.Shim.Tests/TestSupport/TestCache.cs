using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Http;
using WithCache.Core;

namespace WithCache.Shim.Tests.TestSupport;

/// <summary>
/// A stand-in cache-host for the shim's tests: answers <c>HEAD|GET /b/&lt;token&gt;/&lt;name&gt;</c> with 200 and
/// <see cref="CachedBody"/> for origins added with <see cref="Add"/>, 404 for others, 400 for a bad token.
/// With <see cref="RedirectToStore"/> it acts as a cache-host run with <c>--s3-redirect</c>: a hit's HEAD carries
/// <see cref="FetchUrl.RedirectHeader"/> and its GET is a 302 to a presigned-looking URL under <c>/store/</c>, which
/// answers the body.
/// </summary>
public sealed class TestCache : IAsyncDisposable
{
    private const string StorePrefix = "/store/";

    private readonly ConcurrentDictionary<string, bool> _cached = new(StringComparer.Ordinal);
    private LoopbackServer? _server;

    public LoopbackServer Server => _server ?? throw new InvalidOperationException("not started");

    public string BaseUrl => Server.BaseUrl;

    /// <summary>Starts the cache, over TLS as https://localhost:PORT when a certificate is given.</summary>
    public static async Task<TestCache> StartAsync(X509Certificate2? certificate = null)
    {
        var cache = new TestCache();
        cache._server = await LoopbackServer.StartAsync(cache.HandleAsync, certificate);
        return cache;
    }

    public static byte[] CachedBody(string origin) => Encoding.UTF8.GetBytes("cached bytes for " + origin + "\n");

    public void Add(string origin) => _cached[origin] = true;

    public bool RedirectToStore { get; set; }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        if (path.StartsWith(StorePrefix, StringComparison.Ordinal)
            && OriginToken.TryDecode(path[StorePrefix.Length..].Split('/')[0], out var stored, out _) && _cached.ContainsKey(stored))
        {
            await WriteBodyAsync(context, CachedBody(stored));
            return;
        }

        if (!path.StartsWith(FetchUrl.RoutePrefix, StringComparison.Ordinal))
        {
            context.Response.StatusCode = 404;
            return;
        }

        var rest = path[FetchUrl.RoutePrefix.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var token = slash < 0 ? rest : rest[..slash];
        if (!OriginToken.TryDecode(token, out var origin, out _))
        {
            context.Response.StatusCode = 400;
            return;
        }

        if (!_cached.ContainsKey(origin))
        {
            context.Response.StatusCode = 404;
            return;
        }

        if (RedirectToStore)
        {
            context.Response.Headers[FetchUrl.RedirectHeader] = FetchUrl.RedirectToStore;
            if (!HttpMethods.IsHead(context.Request.Method))
            {
                // Like a presigned S3 URL: the object's own name and a signature in the query.
                context.Response.StatusCode = 302;
                context.Response.Headers.Location = $"{BaseUrl}{StorePrefix}{token}/0f3a9c2e.obj?X-Amz-Signature=5e1f";
                return;
            }
        }

        await WriteBodyAsync(context, CachedBody(origin));
    }

    private static async Task WriteBodyAsync(HttpContext context, byte[] body)
    {
        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(body);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
