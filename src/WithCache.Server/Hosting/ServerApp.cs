using System.Net;
using Microsoft.Extensions.Options;
using WithCache.Server.Api;
using WithCache.Server.Audit;
using WithCache.Server.Blobs;
using WithCache.Server.Catalog;
using WithCache.Server.Downloads;
using WithCache.Server.Observability;
using WithCache.Server.Operations;
using WithCache.Server.ReadPath;
using WithCache.Server.Ui;
using WithCache.Server.Ui.Auth;

namespace WithCache.Server.Hosting;

/// <summary>The one composition root: configuration, services, Kestrel and the endpoint groups.</summary>
internal static partial class ServerApp
{
    /// <summary>Longest request line accepted: a 64 KiB URL must get the protocol's 400, not Kestrel's 414.</summary>
    private const int MaxRequestLineBytes = 160 * 1024;

    public static WebApplication Build(IReadOnlyDictionary<string, string?> settings, Action<WebApplicationBuilder>? configure = null)
    {
        // Content root beside the binary: the vendored UI files travel with it, wherever it is started from.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss ";
        });

        // Request logs would carry tokens, and a token is the origin URL with any signed query in it.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        // The base authentication handler logs every API challenge at Information; the handler's own warning names the address.
        builder.Logging.AddFilter(typeof(ApiTokenHandler).FullName, LogLevel.Warning);

        var services = builder.Services;
        services.AddOptions<ServerOptions>().BindConfiguration(ServerOptions.Section).ValidateDataAnnotations().ValidateOnStart()
            .PostConfigure(server => server.HostId = string.IsNullOrWhiteSpace(server.HostId) ? DefaultHostId(server.Port) : server.HostId.Trim());
        services.AddOptions<FetchOptions>().BindConfiguration("Fetch").PostConfigure<IOptions<ServerOptions>>((fetch, server) =>
            fetch.CredentialsFile ??= Path.Combine(Path.GetFullPath(server.Value.DataDir), "credentials.json"));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<BlobStore>();
        services.AddOptions<S3BlobOptions>().BindConfiguration(S3BlobOptions.Section);
        services.AddSingleton<BlobBackend>();
        // The catalog: SQLite in the data dir (one host), or a PostgreSQL database several hosts share (--catalog).
        services.AddSingleton(provider =>
            CatalogLocation.Open(provider.GetRequiredService<IOptions<ServerOptions>>(), provider.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<CapacityLedger>();
        services.AddSingleton<RequestCounters>();
        services.AddSingleton<DownloadScheduler>();
        services.AddSingleton<AutoFillLimiter>();
        services.AddSingleton<ReadPathServices>();
        services.AddSingleton<CacheOperations>();
        services.AddHttpContextAccessor();
        services.AddSingleton<AuditLog>();
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section);
        services.AddSingleton<ServerMetrics>();
        services.AddOriginFetching();
        var dataDir = Path.GetFullPath(builder.Configuration[$"{ServerOptions.Section}:DataDir"] ?? "data");
        services.AddOperatorAuth(dataDir, builder.Configuration[$"{UiOptions.Section}:SessionSecret"]);
        services.AddRazorComponents();
        services.AddProblemDetails();
        services.AddApiDocument();
        services.AddReadinessChecks();
        services.AddHostedService<StartupReconciler>();
        services.AddHostedService<DownloadWorker>();
        services.AddHostedService<CounterFlushWorker>();
        services.AddHostedService<JobLeaseWorker>();
        services.AddHostedService<S3LeftoverSweeper>();
        services.AddHostedService<S3HealthProbe>();

        // Run request code on the socket's I/O thread instead of hopping to the thread pool at every read and flush:
        // on a 2-core host that hop is what keeps a 1 GiB hit at nginx's speed instead of about 1.3 x past it
        // (bench/serve.sh). The read path never blocks for long (an indexed look-up, page-cache reads);
        // everything else hops to the pool first (OffIoThreadAsync), so a slow UI query cannot stall downloads.
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            var options = context.Configuration.GetSection(ServerOptions.Section).Get<ServerOptions>() ?? new ServerOptions();
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestLineSize = MaxRequestLineBytes;
            if (options.Bind == "*")
            {
                kestrel.ListenAnyIP(options.Port);
            }
            else
            {
                kestrel.Listen(IPAddress.Parse(options.Bind), options.Port);
            }
        });

        // SIGTERM (systemd, containers): stop taking connections, let responses in flight finish for up to
        // ShutdownTimeout, checkpoint running fills (DownloadWorker) so they resume after the restart.
        var shutdownTimeout = builder.Configuration.GetValue($"{ServerOptions.Section}:ShutdownTimeout", TimeSpan.FromSeconds(25));
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = shutdownTimeout);
        builder.WebHost.UseShutdownTimeout(shutdownTimeout);

        configure?.Invoke(builder);
        var app = builder.Build();
        app.UseMiddleware<RequestTelemetry>();
        app.Use(SecurityHeaders.ApplyAsync);
        app.Use(EngineOutage.HandleAsync);
        app.UseWhen(context => !ReadPathEndpoints.IsReadPath(context.Request.Path), rest =>
        {
            rest.Use(OffIoThreadAsync);
            rest.UseStaticFiles();
        });
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseAntiforgery();

        // An API error the framework answers with an empty body (malformed JSON, 405, 415) gets a problem details body.
        app.UseWhen(context => context.Request.Path.StartsWithSegments(ApiEndpoints.Prefix), api => api.UseStatusCodePages());
        app.MapReadPath();
        app.MapOperatorAuth();
        app.MapUi();
        app.MapApi();
        app.MapOpenApi(ApiDocument.Path);
        app.MapMetrics();
        app.MapReadiness();

        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        lifetime.ApplicationStarted.Register(() => LogStarted(app));
        return app;
    }

    /// <summary>
    /// A host's name in the shared catalog's job leases: machine name and port, stable across restarts so a restarted
    /// host takes its own jobs back at once. A random port (0) has no stable name: the process id stands in.
    /// </summary>
    private static string DefaultHostId(int port) =>
        Environment.MachineName + ":" + (port != 0 ? port.ToString(System.Globalization.CultureInfo.InvariantCulture) : "pid" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Moves a request that is not on the read path off the socket's I/O thread (see UseSockets above).</summary>
    private static async Task OffIoThreadAsync(HttpContext context, Func<Task> next)
    {
        // With no synchronization context, Task.Yield continues on the thread pool.
        await Task.Yield();
        await next();
    }

    private static void LogStarted(WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<ServerOptions>>().Value;
        var capacity = app.Services.GetRequiredService<CapacityLedger>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("WithCache.Server");
        var limit = capacity.MaxBytes is { } max ? ByteSize.Format(max) : "no cap";
        LogListening(logger, string.Join(", ", app.Urls), options.Curate ? "curate" : "auto-fetch",
            Path.GetFullPath(options.DataDir), $"{ByteSize.Format(capacity.StoredBytes)} used of {limit}", options.KeepQuery);
        if (app.Services.GetRequiredService<UiAccess>().IsOpen)
        {
            LogUiOpen(logger);
        }
    }

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "WITHCACHE_ADMIN_PASSWORD is not set: the operator UI is open to anyone who can reach this port")]
    private static partial void LogUiOpen(ILogger logger);

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "withcache-server listening on {Addresses}; mode {Mode}; data dir {DataDir}; capacity {Capacity}; keep query {KeepQuery}")]
    private static partial void LogListening(ILogger logger, string addresses, string mode, string dataDir, string capacity, bool keepQuery);
}
