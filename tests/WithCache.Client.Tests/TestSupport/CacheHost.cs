using Microsoft.AspNetCore.Builder;

namespace WithCache.Client.Tests.TestSupport;

/// <summary>
/// The real cache-host (the composition root its CLI uses) on Kestrel at 127.0.0.1 and a free port, in auto-fetch
/// mode over a temp data dir of its own; fills may reach 127.0.0.1 (loopback is otherwise denied).
/// </summary>
public sealed class CacheHost : IAsyncDisposable
{
    private readonly TempDir _dataDir = new();
    private WebApplication? _app;

    public string BaseUrl { get; private set; } = "";

    public static async Task<CacheHost> StartAsync()
    {
        var host = new CacheHost();
        var settings = new Dictionary<string, string?>
        {
            ["WithCache:DataDir"] = host._dataDir.Path,
            ["WithCache:Port"] = "0",
            ["WithCache:Bind"] = "127.0.0.1",
            ["WithCache:Workers"] = "2",
            ["Fetch:AllowNetworks:0"] = "127.0.0.1/32",
            ["Fetch:IdleTimeout"] = "00:00:05",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        host._app = Build(settings);
        await host._app.StartAsync();
        host.BaseUrl = host._app.Urls.Single();
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        _dataDir.Dispose();
    }

    private static WebApplication Build(IReadOnlyDictionary<string, string?> settings) =>
        WithCache.Server.Hosting.ServerApp.Build(settings);
}
