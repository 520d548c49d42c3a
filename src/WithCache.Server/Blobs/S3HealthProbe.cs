namespace WithCache.Server.Blobs;

/// <summary>
/// Asks the S3 store once a second whether it answers (one HEAD of the bucket, bounded by
/// <see cref="S3BlobOptions.ReadTimeout"/>) and tells <see cref="BlobBackend"/>. HEAD hits are answered from the catalog
/// only while the last answer is fresh, so an outage shows in the shims' probes within about a second. Nothing to do
/// with blobs in the data dir.
/// </summary>
internal sealed partial class S3HealthProbe : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly BlobBackend _backend;
    private readonly TimeProvider _time;
    private readonly ILogger<S3HealthProbe> _logger;

    public S3HealthProbe(BlobBackend backend, TimeProvider time, ILogger<S3HealthProbe> logger)
    {
        _backend = backend;
        _time = time;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_backend.ObjectStore is null)
        {
            return;
        }

        var wasDown = false;
        using var timer = new PeriodicTimer(Interval, _time);
        try
        {
            do
            {
                using var bounded = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                bounded.CancelAfter(_backend.S3.ReadTimeout);
                try
                {
                    await _backend.PingAsync(bounded.Token);
                    _backend.ReportStoreUp();
                    if (wasDown)
                    {
                        LogBack(_logger);
                        wasDown = false;
                    }
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested
                                          && e is ObjectStoreUnavailableException or OperationCanceledException or Amazon.S3.AmazonS3Exception)
                {
                    _backend.ReportStoreDown();
                    if (!wasDown)
                    {
                        LogDown(_logger, e is OperationCanceledException ? $"no answer within {_backend.S3.ReadTimeout}" : e.Message);
                        wasDown = true;
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 1520, Level = LogLevel.Warning, Message = "The object store does not answer ({Reason}); hits answer 503 until it does")]
    private static partial void LogDown(ILogger logger, string reason);

    [LoggerMessage(EventId = 1521, Level = LogLevel.Information, Message = "The object store answers again")]
    private static partial void LogBack(ILogger logger);
}
