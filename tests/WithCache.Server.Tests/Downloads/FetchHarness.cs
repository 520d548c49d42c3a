using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WithCache.Core;
using WithCache.Server.Downloads;

namespace WithCache.Server.Tests.Downloads;

/// <summary>
/// An <see cref="OriginFetcher"/> built the way the server builds it (<c>AddOriginFetching</c>), with a temp dir,
/// a recording logger, the system clock unless a test brings its own, tiny retry delays and 127.0.0.1/32 allowed so
/// the loopback origin is reachable while every other loopback address stays refused.
/// </summary>
internal sealed class FetchHarness : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    public FetchHarness(Action<FetchOptions>? configure = null, string? credentialsJson = null, TimeProvider? time = null)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("withcache-fetch-").FullName;
        TempPath = Path.Combine(Directory, "fill.tmp");
        string? credentialsFile = null;
        if (credentialsJson is not null)
        {
            credentialsFile = Path.Combine(Directory, "credentials.json");
            File.WriteAllText(credentialsFile, credentialsJson);
        }

        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(Logs));
        services.AddSingleton(time ?? TimeProvider.System);
        services.AddOptions<FetchOptions>().Configure(options =>
        {
            options.IdleTimeout = TimeSpan.FromSeconds(5);
            options.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
            options.RetryMaxDelay = TimeSpan.FromMilliseconds(20);
            options.AllowNetworks = ["127.0.0.1/32"];
            options.CredentialsFile = credentialsFile;
            configure?.Invoke(options);
        });
        services.AddOriginFetching();
        _provider = services.BuildServiceProvider();
        Fetcher = _provider.GetRequiredService<OriginFetcher>();
    }

    public string Directory { get; }

    public string TempPath { get; }

    public RecordingLoggerProvider Logs { get; } = new();

    public OriginFetcher Fetcher { get; }

    public T Get<T>()
        where T : notnull => _provider.GetRequiredService<T>();

    public Task<FetchResult> FetchAsync(
        string url,
        Func<long?, string?>? reserve = null,
        Action<long, long?>? progress = null,
        CancellationToken cancellationToken = default)
    {
        Assert.True(OriginUrl.TryParse(url, out var origin, out var error), error?.Reason);
        return Fetcher.FetchAsync(origin, TempPath, reserve ?? (_ => null), progress, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _provider.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
