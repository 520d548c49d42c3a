using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace WithCache.Server.Tests.TestSupport;

/// <summary>
/// A real Kestrel origin on a loopback address (127.0.0.1, or 127.0.0.2 for a target the fetch policy refuses) and a
/// free port. Each path has a handler that may misbehave on purpose (drops, stalls, short bodies, redirects, error
/// statuses); every request is recorded with its headers. Unmapped paths answer 404.
/// </summary>
public sealed class OriginServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Func<HttpContext, int, Task>> _routes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _hits = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<OriginRequest> _requests = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private WebApplication? _app;

    private OriginServer(string address) => Address = address;

    public string Address { get; }

    public int Port { get; private set; }

    public IReadOnlyList<OriginRequest> Requests => [.. _requests];

    public static async Task<OriginServer> StartAsync(string address = "127.0.0.1")
    {
        var server = new OriginServer(address);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(address), 0, l => l.Protocols = HttpProtocols.Http1));
        var app = builder.Build();
        app.Run(server.HandleAsync);
        await app.StartAsync();
        server._app = app;
        server.Port = new Uri(app.Urls.Single()).Port;
        return server;
    }

    /// <summary>The URL of <paramref name="path"/>, with another host name for this address if given (<c>localhost</c>).</summary>
    public string Url(string path, string? host = null) =>
        $"http://{host ?? Address}:{Port.ToString(CultureInfo.InvariantCulture)}{path}";

    public OriginServer Map(string path, Func<HttpContext, int, Task> handler)
    {
        _routes[path] = handler;
        return this;
    }

    public OriginServer Map(string path, OriginFile file) => Map(path, _ => file);

    /// <summary>Serves the file <paramref name="fileForHit"/> picks per request (1-based): a representation that changes.</summary>
    public OriginServer Map(string path, Func<int, OriginFile> fileForHit) =>
        Map(path, (context, hit) => ServeAsync(context, hit, fileForHit(hit), _stopping.Token));

    /// <summary>
    /// Answers <paramref name="status"/> (with <paramref name="headers"/>, e.g. Retry-After) to the first
    /// <paramref name="times"/> requests, then serves <paramref name="then"/>.
    /// </summary>
    public OriginServer MapStatus(string path, int status, int times = int.MaxValue, OriginFile? then = null, IReadOnlyDictionary<string, string>? headers = null) =>
        Map(path, (context, hit) =>
        {
            if (hit <= times || then is null)
            {
                context.Response.StatusCode = status;
                foreach (var (name, value) in headers ?? new Dictionary<string, string>())
                {
                    context.Response.Headers[name] = value;
                }

                return Task.CompletedTask;
            }

            return ServeAsync(context, hit, then, _stopping.Token);
        });

    public OriginServer MapRedirect(string path, string location, int status = 302) =>
        Map(path, (context, _) =>
        {
            context.Response.StatusCode = status;
            context.Response.Headers.Location = location;
            return Task.CompletedTask;
        });

    public IReadOnlyList<OriginRequest> RequestsTo(string path) => [.. _requests.Where(r => r.Path == path)];

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        _stopping.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "";
        _requests.Enqueue(new OriginRequest(
            context.Request.Method,
            path,
            context.Request.Host.Value ?? "",
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            _clock.Elapsed));
        var hit = _hits.AddOrUpdate(path, 1, (_, n) => n + 1);
        if (_routes.TryGetValue(path, out var handler))
        {
            await handler(context, hit);
        }
        else
        {
            context.Response.StatusCode = 404;
        }
    }

    private static async Task ServeAsync(HttpContext context, int hit, OriginFile file, CancellationToken stopping)
    {
        var response = context.Response;
        var body = file.Body;
        long start = 0;
        if (file.AcceptRanges)
        {
            response.Headers.AcceptRanges = "bytes";
        }

        if (file.ETag is not null)
        {
            response.Headers.ETag = file.ETag;
        }

        if (file.LastModified is { } modified)
        {
            response.Headers.LastModified = modified.ToString("R", CultureInfo.InvariantCulture);
        }

        // RFC 9110 section 14.2 and 13.1.5: honour "bytes=N-" only while If-Range still names this representation.
        var range = context.Request.Headers.Range.ToString();
        var ifRange = context.Request.Headers.IfRange.ToString();
        if (file.HonourRange && file.AcceptRanges && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-')
            && (ifRange.Length == 0 || !file.HonourIfRange || ifRange == file.ETag
                || (file.LastModified is { } lm && ifRange == lm.ToString("R", CultureInfo.InvariantCulture)))
            && long.TryParse(range.AsSpan(6, range.Length - 7), NumberStyles.None, CultureInfo.InvariantCulture, out var from)
            && from < body.Length)
        {
            start = from;
            response.StatusCode = 206;
            response.Headers.ContentRange = new ContentRangeHeaderValue(from, body.Length - 1, body.Length).ToString();
        }

        if (file.SendLength)
        {
            response.ContentLength = body.Length - start;
        }

        response.ContentType = "application/octet-stream";
        await response.StartAsync(stopping);
        var remaining = body.AsMemory((int)start);
        if (file.CutAfter(hit) is not { } cut)
        {
            await response.Body.WriteAsync(remaining, stopping);
            return;
        }

        await response.Body.WriteAsync(remaining[..Math.Min(cut, remaining.Length)], stopping);
        await response.Body.FlushAsync(stopping);
        if (file.Cut == OriginCut.Stall)
        {
            using var both = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, both.Token);
            }
            catch (OperationCanceledException)
            {
            }

            return;
        }

        if (file.Cut == OriginCut.Close)
        {
            // Kestrel ends a response that is shorter than its Content-Length by closing the connection (FIN).
            return;
        }

        // Let the flushed bytes leave the socket before the connection is torn down.
        await Task.Delay(50, stopping);
        context.Abort();
    }
}
