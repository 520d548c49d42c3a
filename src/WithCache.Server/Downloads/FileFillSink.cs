namespace WithCache.Server.Downloads;

/// <summary>A fill into a temp file under the data dir's <c>tmp/</c>; the worker renames it into the blob folder.</summary>
internal sealed class FileFillSink(FileStream file) : IFillSink, IDisposable
{
    /// <summary>The open temp file, for hashing again the bytes a checkpoint kept.</summary>
    public FileStream File { get; } = file;

    public ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) => File.WriteAsync(bytes, cancellationToken);

    public ValueTask RestartAsync(CancellationToken cancellationToken)
    {
        File.SetLength(0);
        File.Position = 0;
        return ValueTask.CompletedTask;
    }

    public Task FinishAsync(CancellationToken cancellationToken)
    {
        File.Flush(flushToDisk: true);
        return Task.CompletedTask;
    }

    public void Dispose() => File.Dispose();
}
