using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace WithCache.Shim.Tests.TestSupport;

/// <summary>
/// A real Kestrel server on 127.0.0.1 and a free port that records every request's method and raw target
/// (exactly as the client sent it, before any decoding) and answers with a handler the test gives.
/// </summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();

    private LoopbackServer(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = "";

    public int Port { get; private set; }

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    public static async Task<LoopbackServer> StartAsync(Func<HttpContext, Task> handler, X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(options =>
        {
            options.Listen(System.Net.IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            });
            options.AllowSynchronousIO = false;
        });
        var app = builder.Build();
        var server = new LoopbackServer(app);
        app.Run(async context =>
        {
            var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "";
            server._requests.Enqueue(new RecordedRequest(context.Request.Method, raw, context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
            await handler(context);
        });
        await app.StartAsync();
        var address = app.Urls.First();
        server.Port = new Uri(address).Port;
        server.BaseUrl = certificate is null ? $"http://127.0.0.1:{server.Port}" : $"https://localhost:{server.Port}";
        return server;
    }

    /// <summary>An origin that answers every GET/HEAD with a body naming the raw target, and 404 under <c>/missing/</c>.</summary>
    public static Task<LoopbackServer> StartOriginAsync() => StartAsync(async context =>
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "";
        if (raw.StartsWith("/missing/", StringComparison.Ordinal))
        {
            context.Response.StatusCode = 404;
            return;
        }

        var body = OriginBody(raw);
        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(body);
        }
    });

    public static byte[] OriginBody(string rawTarget) => System.Text.Encoding.UTF8.GetBytes("origin bytes for " + rawTarget + "\n");

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
