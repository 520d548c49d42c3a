using WithCache.Server.Blobs;

namespace WithCache.Server.Downloads;

/// <summary>
/// A fill streaming into a multipart upload of the S3 store: at most one 8 MiB part in memory, nothing on local
/// disk. The upload starts with the first byte (an origin that answers 404 leaves nothing to clean up); a restart
/// aborts it and the next byte starts a new one. Disposing it aborts an unfinished upload and deletes a completed
/// one that was not published, so a failed or cancelled fill leaves nothing in the bucket.
/// </summary>
internal sealed partial class S3FillSink(S3ObjectStore store, ILogger logger) : IFillSink, IAsyncDisposable
{
    private S3Upload? _upload;

    /// <summary>The completed upload, once <see cref="FinishAsync"/> returned; its temp key awaits publishing.</summary>
    public S3UploadResult? Completed { get; private set; }

    /// <summary>Set once the temp object has been published (PublishAsync deletes it), so disposing leaves it alone.</summary>
    public bool Published { get; set; }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        _upload ??= await StartAsync(cancellationToken);
        await _upload.WriteAsync(bytes, cancellationToken);
    }

    public async ValueTask RestartAsync(CancellationToken cancellationToken)
    {
        if (_upload is { } upload)
        {
            _upload = null;
            await upload.DisposeAsync();
        }
    }

    public async Task FinishAsync(CancellationToken cancellationToken)
    {
        // An empty artifact never wrote: it still needs an upload to complete into an (empty) object.
        _upload ??= await StartAsync(cancellationToken);
        Completed = await _upload.CompleteAsync(cancellationToken);
    }

    /// <summary>
    /// Starts the upload without the fill's cancellation (the client's timeout bounds it): a cancel that arrived while
    /// the store was creating it would leave an upload this sink never learnt the id of, so nothing could abort it.
    /// The cancel is honoured right after, with the upload in hand for <see cref="DisposeAsync"/> to abort.
    /// </summary>
    private async Task<S3Upload> StartAsync(CancellationToken cancellationToken)
    {
        _upload = await store.StartUploadAsync(CancellationToken.None);
        cancellationToken.ThrowIfCancellationRequested();
        return _upload;
    }

    public async ValueTask DisposeAsync()
    {
        if (_upload is { } upload)
        {
            _upload = null;
            await upload.DisposeAsync();
        }

        if (Completed is { } completed && !Published)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await store.DeleteTempAsync(completed.TempKey, timeout.Token);
            }
            catch (Exception e) when (e is ObjectStoreUnavailableException or OperationCanceledException or Amazon.S3.AmazonS3Exception)
            {
                LogTempLeft(logger, completed.TempKey, e.Message);
            }
        }
    }

    [LoggerMessage(EventId = 1206, Level = LogLevel.Warning, Message = "Could not delete temp object {Key}: {Reason}; a start-up after the grace period removes it")]
    private static partial void LogTempLeft(ILogger logger, string key, string reason);
}
