using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace WithCache.Server.Blobs;

/// <summary>
/// Owns blobs in an S3-compatible bucket (tested against Ceph 16 radosgw): fills stream into a multipart upload
/// under <c>&lt;prefix&gt;tmp/&lt;guid&gt;</c>, then a server-side copy publishes them at
/// <c>&lt;prefix&gt;sha256/aa/bb/&lt;hex&gt;</c>. Keys derive from digests only, never from URLs.
/// Any fault of the store (unreachable, timeout, 5xx) surfaces as <see cref="ObjectStoreUnavailableException"/>.
/// The server reaches it through <see cref="BlobBackend"/> when <c>--blobs s3://…</c> is given.
/// </summary>
internal sealed class S3ObjectStore : IDisposable
{

    // Each request gets this long (connect + headers, or a whole 8 MiB part) before it counts as a store fault.
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private readonly IAmazonS3 _client;
    private readonly string _bucket;
    private readonly string _prefix;

    public S3ObjectStore(IAmazonS3 client, string bucket, string prefix)
    {
        _client = client;
        _bucket = bucket;
        _prefix = prefix;
    }

    /// <summary>
    /// A store over the endpoint and keys in the standard AWS variables: <c>AWS_ENDPOINT_URL_S3</c> (or
    /// <c>AWS_ENDPOINT_URL</c>), <c>AWS_ACCESS_KEY_ID</c>, <c>AWS_SECRET_ACCESS_KEY</c>, and optionally <c>AWS_REGION</c>.
    /// </summary>
    public static S3ObjectStore FromEnvironment(string bucket, string prefix) =>
        new(CreateClientFromEnvironment(), bucket, prefix);

    public static IAmazonS3 CreateClientFromEnvironment()
    {
        var endpoint = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3") is { Length: > 0 } s3
            ? s3
            : Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL") is { Length: > 0 } any
                ? any
                : throw new InvalidOperationException("AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL must name the S3 endpoint");
        var access = RequiredVariable("AWS_ACCESS_KEY_ID");
        var secret = RequiredVariable("AWS_SECRET_ACCESS_KEY");
        var region = Environment.GetEnvironmentVariable("AWS_REGION") is { Length: > 0 } r ? r : "us-east-1";
        return CreateClient(new Uri(endpoint), region, access, secret);
    }

    public static IAmazonS3 CreateClient(Uri endpoint, string region, string accessKey, string secretKey) =>
        new AmazonS3Client(new BasicAWSCredentials(accessKey, secretKey), new AmazonS3Config
        {
            ServiceURL = endpoint.ToString(),
            // Ceph RGW serves buckets by path; virtual-host names would need wildcard DNS.
            ForcePathStyle = true,
            AuthenticationRegion = region,
            // Ceph 16 rejects the SDK's default trailing-checksum uploads (400 XAmzContentSHA256Mismatch); we hash
            // SHA-256 ourselves, so the SDK's CRC adds nothing.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            Timeout = RequestTimeout,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            // Two retries ride out a restarting gateway; more would hold a client's request for minutes when the
            // store is really down, and the caller answers 503 instead.
            MaxErrorRetry = 2,
        });

    private static string RequiredVariable(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} must be set for the S3 object store");

    public string Bucket => _bucket;

    // S3 caps a single CopyObject at 5 GiB; larger objects need a multipart copy (UploadPartCopy). Tests lower both.
    internal long MaxSingleCopyBytes { get; init; } = 5L * 1024 * 1024 * 1024;

    internal long CopyPartBytes { get; init; } = 512L * 1024 * 1024;

    public string KeyOf(ContentDigest digest) => $"{_prefix}sha256/{digest.Hex[..2]}/{digest.Hex[2..4]}/{digest.Hex}";

    public async Task<S3Upload> StartUploadAsync(CancellationToken cancellationToken)
    {
        var key = $"{_prefix}tmp/{Guid.NewGuid():N}";
        var response = await GuardAsync(
            () => _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _bucket, Key = key }, cancellationToken),
            cancellationToken).ConfigureAwait(false);
        return new S3Upload(_client, _bucket, key, response.UploadId);
    }

    /// <summary>
    /// Makes the content-addressed object for <paramref name="digest"/> exist exactly once, from a completed upload
    /// at <paramref name="tempKey"/>, and deletes the temp object.
    /// </summary>
    public async Task<S3PublishOutcome> PublishAsync(string tempKey, ContentDigest digest, CancellationToken cancellationToken)
    {
        var finalKey = KeyOf(digest);
        var outcome = S3PublishOutcome.AlreadyPresent;
        // HEAD first, then copy: Ceph 16 ignores If-None-Match on CopyObject (it overwrites; see S3ObjectStoreTests),
        // so the header below only helps on stores that honour it. Two hosts that both miss the HEAD both copy, and
        // the second copy overwrites the first with the same bytes: the key names the SHA-256 of its content, so a
        // reader sees one complete version or the other, never a mix, and nothing is lost.
        if (!await ExistsKeyAsync(finalKey, cancellationToken).ConfigureAwait(false))
        {
            var length = await LengthOfKeyAsync(tempKey, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"temp object {tempKey} does not exist");
            outcome = length > MaxSingleCopyBytes
                ? await MultipartCopyAsync(tempKey, finalKey, length, cancellationToken).ConfigureAwait(false)
                : await CopyAsync(tempKey, finalKey, cancellationToken).ConfigureAwait(false);
        }

        await DeleteKeyAsync(tempKey, cancellationToken).ConfigureAwait(false);
        return outcome;
    }

    private async Task<S3PublishOutcome> CopyAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken)
    {
        try
        {
            await GuardAsync(
                () => _client.CopyObjectAsync(
                    new CopyObjectRequest
                    {
                        SourceBucket = _bucket,
                        SourceKey = sourceKey,
                        DestinationBucket = _bucket,
                        DestinationKey = destinationKey,
                        IfNoneMatch = "*",
                    },
                    cancellationToken),
                cancellationToken).ConfigureAwait(false);
            return S3PublishOutcome.Published;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.PreconditionFailed)
        {
            return S3PublishOutcome.AlreadyPresent;
        }
    }

    // Objects over 5 GiB: copy in parts server-side, so no byte passes through this host.
    private async Task<S3PublishOutcome> MultipartCopyAsync(string sourceKey, string destinationKey, long length, CancellationToken cancellationToken)
    {
        var uploadId = (await GuardAsync(
            () => _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _bucket, Key = destinationKey }, cancellationToken),
            cancellationToken).ConfigureAwait(false)).UploadId;
        try
        {
            var parts = new List<PartETag>();
            for (long first = 0, number = 1; first < length; first += CopyPartBytes, number++)
            {
                var partNumber = (int)number;
                var last = Math.Min(first + CopyPartBytes, length) - 1;
                var firstByte = first;
                var part = await GuardAsync(
                    () => _client.CopyPartAsync(
                        new CopyPartRequest
                        {
                            SourceBucket = _bucket,
                            SourceKey = sourceKey,
                            DestinationBucket = _bucket,
                            DestinationKey = destinationKey,
                            UploadId = uploadId,
                            PartNumber = partNumber,
                            FirstByte = firstByte,
                            LastByte = last,
                        },
                        cancellationToken),
                    cancellationToken).ConfigureAwait(false);
                parts.Add(new PartETag(partNumber, part.ETag));
            }

            await GuardAsync(
                () => _client.CompleteMultipartUploadAsync(
                    new CompleteMultipartUploadRequest { BucketName = _bucket, Key = destinationKey, UploadId = uploadId, PartETags = parts },
                    cancellationToken),
                cancellationToken).ConfigureAwait(false);
            return S3PublishOutcome.Published;
        }
        catch
        {
            await S3Upload.AbortQuietlyAsync(_client, _bucket, destinationKey, uploadId).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The object's bytes from <paramref name="from"/> to <paramref name="to"/> inclusive, like HTTP
    /// <c>bytes=from-to</c>; <c>from</c> alone reads to the end, <c>to</c> alone is a suffix of that many bytes.
    /// Null when the object does not exist; a range that starts past the end stays a 416 <see cref="AmazonS3Exception"/>
    /// (the catalog knows the length, so callers answer 416 before asking). The client's timeout covers only the wait
    /// for the response headers: the caller's copy of <see cref="S3ObjectRead.Body"/> needs its own idle timeout.
    /// The caller disposes the result.
    /// </summary>
    public async Task<S3ObjectRead?> FindReadAsync(ContentDigest digest, long? from, long? to, CancellationToken cancellationToken)
    {
        var request = new GetObjectRequest { BucketName = _bucket, Key = KeyOf(digest) };
        if (from is not null || to is not null)
        {
            // RFC 9110 §14.1.2: first-last, first- (to the end), -suffix.
            request.ByteRange = new ByteRange($"bytes={from}-{to}");
        }

        try
        {
            var response = await GuardAsync(() => _client.GetObjectAsync(request, cancellationToken), cancellationToken).ConfigureAwait(false);
            return new S3ObjectRead(response, response.ResponseStream, response.ContentLength, response.ContentRange);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public Task<bool> ExistsAsync(ContentDigest digest, CancellationToken cancellationToken) =>
        ExistsKeyAsync(KeyOf(digest), cancellationToken);

    public Task DeleteAsync(ContentDigest digest, CancellationToken cancellationToken) =>
        DeleteKeyAsync(KeyOf(digest), cancellationToken);

    /// <summary>
    /// Every published object with its length and last-modified time, a page of ListObjectsV2 at a time, for
    /// reconciling the catalog with the bucket.
    /// </summary>
    public async IAsyncEnumerable<S3StoredObject> ListAsync(int pageSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in ListKeysAsync(_prefix + "sha256/", pageSize, cancellationToken).ConfigureAwait(false))
        {
            var name = item.Key[(item.Key.LastIndexOf('/') + 1)..];
            // Skip anything that is not ours (a stray key, a name not lower-case hex) or sits at the wrong path.
            if (ContentDigest.TryParse(name, out var digest) && KeyOf(digest.Value) == item.Key)
            {
                yield return new S3StoredObject(digest.Value, item.Size ?? 0, LastModifiedOf(item.LastModified));
            }
        }
    }

    /// <summary>Completed temp objects under <c>&lt;prefix&gt;tmp/</c> (a fill that completed but was not published), with their age.</summary>
    public async IAsyncEnumerable<(string Key, DateTimeOffset LastModified)> ListTempAsync(int pageSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in ListKeysAsync(_prefix + "tmp/", pageSize, cancellationToken).ConfigureAwait(false))
        {
            yield return (item.Key, LastModifiedOf(item.LastModified));
        }
    }

    /// <summary>Multipart uploads in progress under <c>&lt;prefix&gt;tmp/</c>: fills running on some host, or left by a crash.</summary>
    public async IAsyncEnumerable<S3PendingUpload> ListUploadsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListMultipartUploadsRequest { BucketName = _bucket, Prefix = _prefix + "tmp/" };
        while (true)
        {
            var page = await GuardAsync(() => _client.ListMultipartUploadsAsync(request, cancellationToken), cancellationToken).ConfigureAwait(false);
            foreach (var upload in page.MultipartUploads ?? [])
            {
                yield return new S3PendingUpload(upload.Key, upload.UploadId, LastModifiedOf(upload.Initiated));
            }

            if (page.IsTruncated != true)
            {
                yield break;
            }

            request.KeyMarker = page.NextKeyMarker;
            request.UploadIdMarker = page.NextUploadIdMarker;
        }
    }

    public Task AbortUploadAsync(S3PendingUpload upload, CancellationToken cancellationToken) =>
        GuardAsync(
            () => _client.AbortMultipartUploadAsync(
                new AbortMultipartUploadRequest { BucketName = _bucket, Key = upload.Key, UploadId = upload.UploadId }, cancellationToken),
            cancellationToken);

    /// <summary>Deletes a temp object (only keys under <c>&lt;prefix&gt;tmp/</c>: the caller got it from <see cref="ListTempAsync"/>).</summary>
    public Task DeleteTempAsync(string key, CancellationToken cancellationToken) =>
        key.StartsWith(_prefix + "tmp/", StringComparison.Ordinal)
            ? DeleteKeyAsync(key, cancellationToken)
            : throw new ArgumentException("not a temp key of this store", nameof(key));

    /// <summary>
    /// True when the bucket exists, false when the store answers that it does not; a store that cannot be reached
    /// throws <see cref="ObjectStoreUnavailableException"/>. One HEAD: cheap enough for a readiness probe.
    /// </summary>
    public async Task<bool> BucketExistsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await GuardAsync(() => _client.HeadBucketAsync(new HeadBucketRequest { BucketName = _bucket }, cancellationToken), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>
    /// A URL that GETs the object without credentials until <paramref name="expires"/>, with the store's answer
    /// carrying <paramref name="downloadName"/> as an attachment when given. Signed locally: no request to the store.
    /// </summary>
    public string PresignGet(ContentDigest digest, DateTime expires, string? downloadName)
    {
        var request = new GetPreSignedUrlRequest
        {
            BucketName = _bucket,
            Key = KeyOf(digest),
            Verb = HttpVerb.GET,
            Expires = expires,
            Protocol = _client.Config.ServiceURL is { } url && url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? Protocol.HTTP : Protocol.HTTPS,
        };
        request.ResponseHeaderOverrides.ContentType = "application/octet-stream";
        if (downloadName is not null)
        {
            request.ResponseHeaderOverrides.ContentDisposition =
                new Microsoft.Net.Http.Headers.ContentDispositionHeaderValue("attachment") { FileNameStar = downloadName }.ToString();
        }

        return _client.GetPreSignedURL(request);
    }

    private async IAsyncEnumerable<S3Object> ListKeysAsync(string prefix, int pageSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = _bucket, Prefix = prefix, MaxKeys = pageSize };
        while (true)
        {
            var page = await GuardAsync(() => _client.ListObjectsV2Async(request, cancellationToken), cancellationToken).ConfigureAwait(false);
            // SDK v4 leaves the collection null when a page is empty.
            foreach (var item in page.S3Objects ?? [])
            {
                yield return item;
            }

            if (page.IsTruncated != true)
            {
                yield break;
            }

            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    // SDK v4 gives nullable local DateTimes; an object without a date counts as new, so no sweep takes it.
    private static DateTimeOffset LastModifiedOf(DateTime? value) =>
        value is { } date ? new DateTimeOffset(date.ToUniversalTime(), TimeSpan.Zero) : DateTimeOffset.MaxValue;

    private async Task<bool> ExistsKeyAsync(string key, CancellationToken cancellationToken) =>
        await LengthOfKeyAsync(key, cancellationToken).ConfigureAwait(false) is not null;

    private async Task<long?> LengthOfKeyAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var response = await GuardAsync(
                () => _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucket, Key = key }, cancellationToken),
                cancellationToken).ConfigureAwait(false);
            return response.ContentLength;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private Task DeleteKeyAsync(string key, CancellationToken cancellationToken) =>
        GuardAsync(() => _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = key }, cancellationToken), cancellationToken);

    /// <summary>
    /// Runs one S3 call and turns every sign that the store itself is unwell into <see cref="ObjectStoreUnavailableException"/>,
    /// which the caller maps to 503. A 4xx stays an <see cref="AmazonS3Exception"/> (a bug or an expected miss).
    /// </summary>
    internal static async Task<T> GuardAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (AmazonServiceException e) when ((int)e.StatusCode >= 500)
        {
            throw new ObjectStoreUnavailableException($"object store answered {(int)e.StatusCode} {e.ErrorCode}", e);
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or IOException or AmazonClientException
                                      || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // An OperationCanceledException the caller did not ask for is the SDK's own request timeout.
            throw new ObjectStoreUnavailableException("object store unreachable or timed out: " + e.Message, e);
        }
    }

    public void Dispose() => _client.Dispose();
}
