using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;

namespace WithCache.Server.Blobs;

/// <summary>
/// One fill streaming into a multipart upload at a temp key. Holds at most one part in memory, hashes SHA-256 as
/// bytes arrive, and either completes (digest + length) or aborts (nothing left in the bucket). Not thread-safe:
/// one writer, like a <see cref="FileStream"/>.
/// </summary>
internal sealed class S3Upload : IAsyncDisposable
{
    // S3's minimum part is 5 MiB (except the last); 8 MiB keeps 10,000 parts above 78 GiB.
    internal const int PartBytes = 8 * 1024 * 1024;

    private readonly IAmazonS3 _client;
    private readonly string _bucket;
    private readonly string _uploadId;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly List<PartETag> _parts = [];
    private readonly byte[] _buffer = new byte[PartBytes];
    private int _buffered;
    private long _length;
    private bool _finished;

    internal S3Upload(IAmazonS3 client, string bucket, string key, string uploadId)
    {
        _client = client;
        _bucket = bucket;
        Key = key;
        _uploadId = uploadId;
    }

    /// <summary>The temp key; after <see cref="CompleteAsync"/> it names the whole object, for PublishAsync.</summary>
    public string Key { get; }

    public long Length => _length;

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        _hash.AppendData(bytes.Span);
        _length += bytes.Length;
        while (!bytes.IsEmpty)
        {
            var take = Math.Min(bytes.Length, PartBytes - _buffered);
            bytes[..take].CopyTo(_buffer.AsMemory(_buffered));
            _buffered += take;
            bytes = bytes[take..];
            if (_buffered == PartBytes)
            {
                await UploadBufferedPartAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task<S3UploadResult> CompleteAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        // The last part may be short; an empty artifact still needs one (empty) part to complete.
        if (_buffered > 0 || _parts.Count == 0)
        {
            await UploadBufferedPartAsync(cancellationToken).ConfigureAwait(false);
        }

        await S3ObjectStore.GuardAsync(
            () => _client.CompleteMultipartUploadAsync(
                new CompleteMultipartUploadRequest { BucketName = _bucket, Key = Key, UploadId = _uploadId, PartETags = _parts },
                cancellationToken),
            cancellationToken).ConfigureAwait(false);
        // Ceph 16 may answer with an empty ETag here; we name objects by our own SHA-256, so we never need it.
        _finished = true;
        return new S3UploadResult(Key, ContentDigest.Parse(Convert.ToHexStringLower(_hash.GetHashAndReset())), _length);
    }

    public async Task AbortAsync(CancellationToken cancellationToken)
    {
        if (_finished)
        {
            return;
        }

        _finished = true;
        await S3ObjectStore.GuardAsync(
            () => _client.AbortMultipartUploadAsync(
                new AbortMultipartUploadRequest { BucketName = _bucket, Key = Key, UploadId = _uploadId },
                cancellationToken),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Aborts an upload that was neither completed nor aborted, best effort (the store may be the reason).</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_finished)
        {
            _finished = true;
            await AbortQuietlyAsync(_client, _bucket, Key, _uploadId).ConfigureAwait(false);
        }

        _hash.Dispose();
    }

    internal static async Task AbortQuietlyAsync(IAmazonS3 client, string bucket, string key, string uploadId)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await client.AbortMultipartUploadAsync(
                new AbortMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = uploadId }, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AmazonS3Exception or HttpRequestException or OperationCanceledException or IOException)
        {
            // Left for the store's lifecycle rule (abort incomplete multipart uploads) or the next reconciliation.
        }
    }

    private async Task UploadBufferedPartAsync(CancellationToken cancellationToken)
    {
        var partNumber = _parts.Count + 1;
        var response = await S3ObjectStore.GuardAsync(
            () => _client.UploadPartAsync(
                new UploadPartRequest
                {
                    BucketName = _bucket,
                    Key = Key,
                    UploadId = _uploadId,
                    PartNumber = partNumber,
                    PartSize = _buffered,
                    InputStream = new MemoryStream(_buffer, 0, _buffered, writable: false),
                },
                cancellationToken),
            cancellationToken).ConfigureAwait(false);
        _parts.Add(new PartETag(partNumber, response.ETag));
        _buffered = 0;
    }
}
