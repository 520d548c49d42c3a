using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace WithCache.Client.Tests.TestSupport;

/// <summary>
/// A stand-in cache-host on 127.0.0.1 that answers every request with one status and records what it was sent
/// (the real server does not show request headers).
/// </summary>
public sealed class StubCache : IAsyncDisposable
{
    private readonly ConcurrentQueue<StubRequest> _requests = new();
    private readonly int _status;
    private WebApplication? _app;

    private StubCache(int status) => _status = status;

    public string BaseUrl { get; private set; } = "";

    public IReadOnlyList<StubRequest> Requests => [.. _requests];

    public static async Task<StubCache> StartAsync(int status)
    {
        var cache = new StubCache(status);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(cache.Handle);
        await app.StartAsync();
        cache._app = app;
        cache.BaseUrl = app.Urls.Single();
        return cache;
    }

    private Task Handle(HttpContext context)
    {
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        _requests.Enqueue(new StubRequest(context.Request.Method, context.Request.Path + context.Request.QueryString, headers));
        context.Response.StatusCode = _status;
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
