using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace WithCache.Server.Downloads;

/// <summary>
/// The state one fill carries across attempts: the sink (a temp file or an S3 upload), the running hash over exactly
/// the bytes in it, how many there are, and what the origin said that makes a resume safe.
/// </summary>
internal sealed class FetchTransfer : IDisposable
{
    private const long ProgressStepBytes = 64 * 1024;

    private readonly IFillSink _sink;
    private readonly Action<long, long?>? _progress;
    private IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _lastReported = -1;

    public FetchTransfer(IFillSink sink, Action<long, long?>? progress)
    {
        _sink = sink;
        _progress = progress;
    }

    /// <summary>Bytes in the temp file (and in the hash).</summary>
    public long Written { get; private set; }

    /// <summary>The most bytes the temp file has ever held; an attempt that raises it made progress.</summary>
    public long HighWater { get; private set; }

    /// <summary>The full length the origin announced, when it did.</summary>
    public long? Total { get; set; }

    /// <summary>
    /// The <c>If-Range</c> validator when the origin advertised <c>Accept-Ranges: bytes</c> with a strong ETag or a
    /// Last-Modified date; null means a dropped transfer starts over instead of resuming.
    /// </summary>
    public RangeConditionHeaderValue? ResumeValidator { get; set; }

    /// <summary>Whether the caller's capacity reservation has been asked for (once, at the first 200).</summary>
    public bool Reserved { get; set; }

    public bool CanResume => Written > 0 && ResumeValidator is not null;

    /// <summary>Takes the bytes already in the temp file (a checkpoint) as written: hashes them and moves to the end.</summary>
    public async Task AdoptExistingAsync(FileStream file, CancellationToken cancellationToken)
    {
        file.Position = 0;
        var buffer = new byte[1024 * 1024];
        int read;
        while ((read = await file.ReadAsync(buffer, cancellationToken)) > 0)
        {
            _hash.AppendData(buffer, 0, read);
            Written += read;
        }

        HighWater = Written;
        Report();
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await _sink.WriteAsync(bytes, cancellationToken);
        _hash.AppendData(bytes.Span);
        Written += bytes.Length;
        HighWater = Math.Max(HighWater, Written);
        if (Written - _lastReported >= ProgressStepBytes)
        {
            Report();
        }
    }

    /// <summary>Empties the sink and the hash: the next body is the whole artifact again.</summary>
    public async ValueTask RestartAsync(CancellationToken cancellationToken)
    {
        await _sink.RestartAsync(cancellationToken);
        _hash.Dispose();
        _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Written = 0;
        Report();
    }

    public void Report()
    {
        _lastReported = Written;
        _progress?.Invoke(Written, Total);
    }

    /// <summary>Makes the bytes durable: the caller moves them into the blob store next.</summary>
    public Task FinishAsync(CancellationToken cancellationToken) => _sink.FinishAsync(cancellationToken);

    public string HashHex() => Convert.ToHexStringLower(_hash.GetCurrentHash());

    public void Dispose()
    {
        _hash.Dispose();

        // A temp file is the transfer's own; an S3 sink belongs to the worker, which publishes or aborts it.
        (_sink as FileFillSink)?.Dispose();
    }
}
