namespace WithCache.Server.Downloads;

/// <summary>
/// Where a fill's bytes go while they arrive: a temp file in the data dir (<see cref="FileFillSink"/>) or a multipart
/// upload to the S3 store (<see cref="S3FillSink"/>). One writer; <see cref="FetchTransfer"/> hashes and counts.
/// </summary>
internal interface IFillSink
{
    ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken);

    /// <summary>Drops everything written: the next write is the artifact's first byte again.</summary>
    ValueTask RestartAsync(CancellationToken cancellationToken);

    /// <summary>Makes the whole body durable once the last byte arrived (fsync, or completing the upload).</summary>
    Task FinishAsync(CancellationToken cancellationToken);
}
