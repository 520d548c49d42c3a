using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace WithCache.Server.Tests.Ui.Browser;

/// <summary>
/// A loopback origin whose bodies stop part-way until released, so a fill stays running at a known share of its
/// length (ArtifactOrigin's hold stops after 1 KiB, which a progress bar shows as 0 %).
/// </summary>
internal sealed class PartialOrigin : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, (byte[] Body, int SendFirst, TaskCompletionSource Gate)> _files = new(StringComparer.Ordinal);
    private WebApplication? _app;

    public string BaseUrl { get; private set; } = "";

    public static async Task<PartialOrigin> StartAsync()
    {
        var origin = new PartialOrigin();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http1));
        var app = builder.Build();
        app.Run(origin.HandleAsync);
        await app.StartAsync();
        origin._app = app;
        origin.BaseUrl = app.Urls.Single();
        return origin;
    }

    /// <summary>Serves <paramref name="body"/> at <paramref name="path"/>, sending its first <paramref name="share"/> at once and the rest after <see cref="Release"/>.</summary>
    public string Add(string path, byte[] body, double share)
    {
        _files[path] = (body, (int)(body.Length * share), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        return BaseUrl + path;
    }

    public void Release(string path)
    {
        if (_files.TryGetValue(path, out var file))
        {
            file.Gate.TrySetResult();
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (!_files.TryGetValue(context.Request.Path.Value ?? "", out var file))
        {
            context.Response.StatusCode = 404;
            return;
        }

        context.Response.ContentLength = file.Body.Length;
        context.Response.ContentType = "application/octet-stream";
        await context.Response.Body.WriteAsync(file.Body.AsMemory(0, file.SendFirst));
        await context.Response.Body.FlushAsync();
        await file.Gate.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await context.Response.Body.WriteAsync(file.Body.AsMemory(file.SendFirst));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var file in _files.Values)
        {
            file.Gate.TrySetResult();
        }

        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
