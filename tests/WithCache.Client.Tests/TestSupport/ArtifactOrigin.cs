using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace WithCache.Client.Tests.TestSupport;

/// <summary>A real Kestrel origin on 127.0.0.1 serving byte arrays by path (query ignored), counting requests per path.</summary>
public sealed class ArtifactOrigin : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);
    private WebApplication? _app;

    public string BaseUrl { get; private set; } = "";

    public static async Task<ArtifactOrigin> StartAsync()
    {
        var origin = new ArtifactOrigin();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(origin.HandleAsync);
        await app.StartAsync();
        origin._app = app;
        origin.BaseUrl = app.Urls.Single();
        return origin;
    }

    /// <summary>Serves <paramref name="body"/> at <paramref name="path"/>; returns the origin URL for it.</summary>
    public string Add(string path, byte[] body)
    {
        _files[path] = body;
        return BaseUrl + path;
    }

    public int RequestsFor(string path) => _requests.GetValueOrDefault(path);

    private async Task HandleAsync(HttpContext context)
    {
        // The raw target: the cache must ask for the path exactly as written.
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "";
        var path = raw.Split('?')[0];
        _requests.AddOrUpdate(path, 1, (_, n) => n + 1);
        if (!_files.TryGetValue(path, out var body))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        context.Response.ContentLength = body.Length;
        context.Response.ContentType = "application/octet-stream";
        await context.Response.Body.WriteAsync(body);
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
