using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace WithCache.Server.Tests.TestSupport;

/// <summary>
/// A real Kestrel origin on 127.0.0.1 serving byte arrays by path, counting requests per path; a path can be set
/// to answer a status instead, to stop part-way through its body until released, or to send fewer bytes than it
/// promises.
/// </summary>
public sealed class ArtifactOrigin : IAsyncDisposable
{
    /// <summary>How long a held body waits at most for <see cref="Release"/>, so a forgotten hold cannot hang a test.</summary>
    private static readonly TimeSpan HoldLimit = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _status = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (TaskCompletionSource Gate, double? Share)> _holds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _short = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _ranged = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TimeSpan> _paced = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _rangeRequests = new();
    private WebApplication? _app;

    public string BaseUrl { get; private set; } = "";

    public static async Task<ArtifactOrigin> StartAsync()
    {
        var origin = new ArtifactOrigin();
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

    public string Add(string path, byte[] body)
    {
        _files[path] = body;
        return BaseUrl + path;
    }

    public string AddStatus(string path, int status)
    {
        _status[path] = status;
        return BaseUrl + path;
    }

    /// <summary>
    /// The body of this path stops after its first KiB, or after <paramref name="share"/> of its length, until
    /// <see cref="Release"/>: a fill that stays in flight (with a share, at a known point of a progress bar).
    /// </summary>
    public void Hold(string path, double? share = null) =>
        _holds[path] = (new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), share);

    public void Release(string path)
    {
        if (_holds.TryRemove(path, out var hold))
        {
            hold.Gate.TrySetResult();
        }
    }

    /// <summary>This path promises its whole length but sends half and closes, every time.</summary>
    public void CutShort(string path) => _short[path] = true;

    /// <summary>This path advertises a strong ETag and Accept-Ranges and answers Range/If-Range requests with 206.</summary>
    public void SupportRanges(string path) => _ranged[path] = true;

    /// <summary>
    /// Whole-body answers of this path wait <paramref name="delay"/> before the headers and between 64 KiB writes: a
    /// fill that takes a while, so a test can interrupt it before the headers or mid-body.
    /// </summary>
    public void Pace(string path, TimeSpan delay) => _paced[path] = delay;

    /// <summary>"path Range If-Range" of every request that asked for a range.</summary>
    public IReadOnlyList<string> RangeRequests => [.. _rangeRequests];

    public int RequestsFor(string path) => _requests.GetValueOrDefault(path);

    public int TotalRequests => _requests.Values.Sum();

    private async Task HandleAsync(HttpContext context)
    {
        // The raw target, not the decoded path: "/a%20b" and "/a b" are different resources to the cache.
        var raw = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? "";
        var path = raw.Split('?')[0];
        _requests.AddOrUpdate(path, 1, (_, n) => n + 1);
        if (_status.TryGetValue(path, out var status))
        {
            context.Response.StatusCode = status;
            return;
        }

        if (!_files.TryGetValue(path, out var body))
        {
            context.Response.StatusCode = 404;
            return;
        }

        if (_ranged.ContainsKey(path))
        {
            context.Response.Headers.AcceptRanges = "bytes";
            if (context.Request.Headers.Range.Count > 0)
            {
                _rangeRequests.Enqueue($"{path} {context.Request.Headers.Range} {context.Request.Headers.IfRange}");
                await Results.Bytes(body, "application/octet-stream", entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue("\"v1\""), enableRangeProcessing: true)
                    .ExecuteAsync(context);
                return;
            }

            context.Response.Headers.ETag = "\"v1\"";
        }

        if (_paced.TryGetValue(path, out var pace))
        {
            await Task.Delay(pace);
        }

        context.Response.ContentLength = body.Length;
        context.Response.ContentType = "application/octet-stream";
        await context.Response.StartAsync();
        if (pace > TimeSpan.Zero)
        {
            for (var offset = 0; offset < body.Length; offset += 65536)
            {
                await context.Response.Body.WriteAsync(body.AsMemory(offset, Math.Min(65536, body.Length - offset)), context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                await Task.Delay(pace, context.RequestAborted);
            }

            return;
        }

        if (_holds.TryGetValue(path, out var hold))
        {
            var first = hold.Share is { } share ? (int)(body.Length * share) : Math.Min(body.Length, 1024);
            await context.Response.Body.WriteAsync(body.AsMemory(0, first));
            await context.Response.Body.FlushAsync();
            await hold.Gate.Task.WaitAsync(HoldLimit);
            await context.Response.Body.WriteAsync(body.AsMemory(first));
            return;
        }

        if (_short.ContainsKey(path))
        {
            await context.Response.Body.WriteAsync(body.AsMemory(0, body.Length / 2));
            await context.Response.Body.FlushAsync();
            context.Abort();
            return;
        }

        await context.Response.Body.WriteAsync(body);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var hold in _holds.Values)
        {
            hold.Gate.TrySetResult();
        }

        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
