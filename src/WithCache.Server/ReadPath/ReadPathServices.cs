using Microsoft.Extensions.Options;
using WithCache.Server.Blobs;
using WithCache.Server.Catalog;
using WithCache.Server.Downloads;
using WithCache.Server.Hosting;

namespace WithCache.Server.ReadPath;

/// <summary>What the read path handlers need, resolved once per request as one parameter.</summary>
internal sealed class ReadPathServices(
    ICacheCatalog database, BlobBackend blobs, RequestCounters counters, DownloadScheduler scheduler, AutoFillLimiter autoFills,
    IOptions<ServerOptions> options, ILogger<ReadPathServices> logger)
{
    public ICacheCatalog Database { get; } = database;

    public BlobStore Blobs { get; } = blobs.Local;

    public BlobBackend Backend { get; } = blobs;

    public RequestCounters Counters { get; } = counters;

    public DownloadScheduler Scheduler { get; } = scheduler;

    public AutoFillLimiter AutoFills { get; } = autoFills;

    public ServerOptions Options { get; } = options.Value;

    public ILogger Logger { get; } = logger;
}
