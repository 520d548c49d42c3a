using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using WithCache.Core;
using WithCache.Server.Catalog;
using WithCache.Server.Hosting;
using WithCache.Server.Operations;

namespace WithCache.Server.Tests.TestSupport;

/// <summary>
/// The real cache-host (the composition root the CLI uses) on Kestrel at 127.0.0.1 and a free port, over a data
/// dir of its own. Fills may reach 127.0.0.1 only (loopback is otherwise denied), as a lab mirror would be allowed.
/// </summary>
public sealed class ServerHost : IAsyncDisposable
{
    private readonly Action<WebApplicationBuilder>? _configureBuilder;
    private WebApplication? _app;

    private ServerHost(string dataDir, Dictionary<string, string?> settings, Action<WebApplicationBuilder>? configureBuilder)
    {
        DataDir = dataDir;
        Settings = settings;
        _configureBuilder = configureBuilder;
    }

    public string DataDir { get; }

    public Dictionary<string, string?> Settings { get; }

    public string BaseUrl { get; private set; } = "";

    public HttpClient Client { get; private set; } = new();

    internal IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("not started");

    internal T Get<T>()
        where T : notnull => Services.GetRequiredService<T>();

    /// <summary>
    /// Starts the server over <paramref name="dataDir"/>; <paramref name="configure"/> changes the settings,
    /// <paramref name="configureBuilder"/> the host builder (a log provider that records, say) at every start.
    /// </summary>
    public static async Task<ServerHost> StartAsync(
        string dataDir, Action<Dictionary<string, string?>>? configure = null, Action<WebApplicationBuilder>? configureBuilder = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["WithCache:DataDir"] = dataDir,
            ["WithCache:Port"] = "0",
            ["WithCache:Bind"] = "127.0.0.1",
            ["WithCache:Workers"] = "4",
            ["WithCache:CounterFlushInterval"] = "00:00:00.100",
            ["Fetch:AllowNetworks:0"] = "127.0.0.1/32",
            ["Fetch:IdleTimeout"] = "00:00:02",
            ["Fetch:RetryBaseDelay"] = "00:00:00.020",
            ["Fetch:RetryMaxDelay"] = "00:00:00.100",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        await TestBackends.ApplyAsync(settings);
        configure?.Invoke(settings);
        var host = new ServerHost(dataDir, settings, configureBuilder);
        await host.RestartAsync();
        return host;
    }

    /// <summary>Starts the server (again) over the same data dir and settings.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        _app = ServerApp.Build(Settings, _configureBuilder);
        await _app.StartAsync();
        BaseUrl = _app.Urls.Single().Replace("[::]", "127.0.0.1", StringComparison.Ordinal);
        Client = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task StopAsync()
    {
        if (_app is not null)
        {
            Client.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
    }

    /// <summary>The fetch URL's path for an origin (FetchUrl with an empty server base); "/b/&lt;token&gt;/x" for one that does not parse.</summary>
    public static string FetchPath(string origin) =>
        OriginUrl.TryParse(origin, out var url, out _) ? FetchUrl.Build("", url) : "/b/" + OriginToken.Encode(origin) + "/x";

    /// <summary>Asks for an origin until the cache serves it (the auto-fill finished) or the deadline passes.</summary>
    public Task<HttpResponseMessage> WaitForHitAsync(string origin, TimeSpan? timeout = null) => WaitForHitAsync(Client, origin, timeout);

    /// <summary>As above, through any client of a cache-host (an in-process one, or <see cref="ServerProcess"/>).</summary>
    public static async Task<HttpResponseMessage> WaitForHitAsync(HttpClient client, string origin, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var response = await client.GetAsync(FetchPath(origin));
            if (response.IsSuccessStatusCode || DateTime.UtcNow > deadline)
            {
                return response;
            }

            response.Dispose();
            await Task.Delay(50);
        }
    }

    /// <summary>Asks for an origin the cache does not have: the miss that queues its fill. Returns the one-line answer.</summary>
    public async Task<string> MissAsync(string origin)
    {
        using var response = await Client.GetAsync(FetchPath(origin));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.NotFound, $"{(int)response.StatusCode}: {text}");
        return text;
    }

    /// <summary>Waits for the newest job of <paramref name="origin"/> to reach <paramref name="state"/>, or any end when null.</summary>
    internal async Task<JobView> WaitForJobAsync(string origin, JobState? state = null)
    {
        var operations = Get<CacheOperations>();
        for (var i = 0; i < 600; i++)
        {
            var job = operations.ListJobs(new ListQuery()).FirstOrDefault(j => j.Job.Origin == origin);
            if (job is not null && (state is { } wanted ? job.Job.State == wanted : job.Job.State is not (JobState.Queued or JobState.Running)))
            {
                return job;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"job for {origin} did not reach {state?.ToString() ?? "an end"}");
    }

    /// <summary>
    /// Every finished blob: the files under blobs/, or on an S3 store the objects under the prefix's sha256/. Each name
    /// ends with the blob's SHA-256; <see cref="ReadBlobAsync"/> reads one.
    /// </summary>
    public IReadOnlyList<string> BlobFiles() => S3Blobs is { } s3
        ? TestBackends.ListKeys(s3, "sha256/")
        : [.. Directory.EnumerateFiles(Path.Combine(DataDir, "blobs"), "*", SearchOption.AllDirectories)];

    /// <summary>Every fill in flight or left behind: files under tmp/, or on an S3 store tmp/ objects and multipart uploads.</summary>
    public IReadOnlyList<string> TempFiles() => S3Blobs is { } s3
        ? [.. TestBackends.ListKeys(s3, "tmp/"), .. TestBackends.ListUploads(s3)]
        : [.. Directory.EnumerateFiles(Path.Combine(DataDir, "tmp"))];

    /// <summary>The server's catalog opened on its own, as another process would (read it while the server is stopped).</summary>
    internal ICacheCatalog OpenCatalog()
    {
        var options = Microsoft.Extensions.Options.Options.Create(new ServerOptions { DataDir = DataDir, Catalog = Settings.GetValueOrDefault("WithCache:Catalog") });
        return CatalogLocation.Open(options, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
    }

    /// <summary>The bytes of one of <see cref="BlobFiles"/>.</summary>
    public Task<byte[]> ReadBlobAsync(string name) =>
        S3Blobs is { } s3 ? TestBackends.ReadObjectAsync(s3, name) : File.ReadAllBytesAsync(name);

    /// <summary>The S3 store this server keeps its blobs in, or null for the local folder.</summary>
    private WithCache.Server.Blobs.S3Location? S3Blobs =>
        Settings.GetValueOrDefault("WithCache:Blobs") is { Length: > 0 } text && WithCache.Server.Blobs.S3Location.TryParse(text, out var location, out _)
            ? location
            : null;

    public static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync() => await StopAsync();
}
