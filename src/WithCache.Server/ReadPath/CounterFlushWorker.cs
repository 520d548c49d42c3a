using Microsoft.Extensions.Options;
using WithCache.Server.Catalog;
using WithCache.Server.Hosting;

namespace WithCache.Server.ReadPath;

/// <summary>Writes the counted hits and misses every <see cref="ServerOptions.CounterFlushInterval"/>, and once more at shutdown.</summary>
internal sealed partial class CounterFlushWorker : PeriodicWorker
{
    private readonly RequestCounters _counters;
    private readonly ICacheCatalog _database;
    private readonly ServerOptions _options;
    private readonly ILogger<CounterFlushWorker> _logger;

    public CounterFlushWorker(RequestCounters counters, ICacheCatalog database, TimeProvider time, IOptions<ServerOptions> options, ILogger<CounterFlushWorker> logger)
        : base(options.Value.CounterFlushInterval, time)
    {
        _counters = counters;
        _database = database;
        _options = options.Value;
        _logger = logger;
    }

    protected override Task TickAsync(CancellationToken stoppingToken)
    {
        FlushOnce();
        return Task.CompletedTask;
    }

    protected override void OnStopped() => FlushOnce();

    private void FlushOnce()
    {
        try
        {
            _counters.Flush(_database, _options.MaxMisses);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or Catalog.CatalogUnavailableException)
        {
            // The counts stay in memory (RequestCounters puts them back) and go with the next flush that succeeds.
            LogFlushFailed(_logger, e.Message);
        }
    }

    [LoggerMessage(EventId = 1300, Level = LogLevel.Error, Message = "Could not write hit and miss counts (kept for the next flush): {Reason}")]
    private static partial void LogFlushFailed(ILogger logger, string reason);
}
