using WithCache.Server.Hosting;

namespace WithCache.Server.Blobs;

/// <summary>
/// Asks the S3 store once a second whether it answers (one HEAD of the bucket, bounded by
/// <see cref="S3BlobOptions.ReadTimeout"/>) and tells <see cref="BlobBackend"/>. HEAD hits are answered from the catalog
/// only while the last answer is fresh, so an outage shows in the shims' probes within about a second. Nothing to do
/// with blobs in the data dir.
/// </summary>
internal sealed partial class S3HealthProbe : PeriodicWorker
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly BlobBackend _backend;
    private readonly ILogger<S3HealthProbe> _logger;
    private bool _wasDown;

    public S3HealthProbe(BlobBackend backend, TimeProvider time, ILogger<S3HealthProbe> logger)
        : base(Interval, time, tickAtStart: true)
    {
        _backend = backend;
        _logger = logger;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        _backend.ObjectStore is null ? Task.CompletedTask : base.ExecuteAsync(stoppingToken);

    protected override async Task TickAsync(CancellationToken stoppingToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        bounded.CancelAfter(_backend.S3.ReadTimeout);
        try
        {
            await _backend.PingAsync(bounded.Token);
            _backend.ReportStoreUp();
            if (_wasDown)
            {
                LogBack(_logger);
                _wasDown = false;
            }
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested
                                  && e is ObjectStoreUnavailableException or OperationCanceledException or Amazon.S3.AmazonS3Exception)
        {
            _backend.ReportStoreDown();
            if (!_wasDown)
            {
                LogDown(_logger, e is OperationCanceledException ? $"no answer within {_backend.S3.ReadTimeout}" : e.Message);
                _wasDown = true;
            }
        }
    }

    [LoggerMessage(EventId = 1520, Level = LogLevel.Warning, Message = "The object store does not answer ({Reason}); hits answer 503 until it does")]
    private static partial void LogDown(ILogger logger, string reason);

    [LoggerMessage(EventId = 1521, Level = LogLevel.Information, Message = "The object store answers again")]
    private static partial void LogBack(ILogger logger);
}
