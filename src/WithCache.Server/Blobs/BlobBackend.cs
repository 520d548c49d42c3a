using Amazon.S3;
using Microsoft.Extensions.Options;
using WithCache.Server.Hosting;

namespace WithCache.Server.Blobs;

/// <summary>
/// Where finished blobs live, chosen once at start-up from <c>--blobs</c>: the data dir's folder
/// (<see cref="BlobStore"/>, the default) or an S3-compatible bucket (<see cref="ObjectStore"/> is set). Fills, the read
/// path, deletes and start-up ask it which one they work with; the few operations both share are here.
/// </summary>
internal sealed class BlobBackend : IDisposable
{
    private static readonly TimeSpan StoreDownMemory = TimeSpan.FromSeconds(30);

    /// <summary>How long an answer of the store counts as "it is up" (the health probe renews it every second).</summary>
    private static readonly TimeSpan StoreUpMemory = TimeSpan.FromSeconds(3);

    private long _storeDownAt = long.MinValue / 2;
    private long _storeUpAt = long.MinValue / 2;

    public BlobBackend(BlobStore local, IOptions<ServerOptions> server, IOptions<S3BlobOptions> s3)
    {
        Local = local;
        S3 = s3.Value;
        if (server.Value.Blobs is { Length: > 0 } text)
        {
            if (!S3Location.TryParse(text, out var location, out var problem))
            {
                throw new InvalidOperationException($"--blobs {text}: {problem}");
            }

            Location = location;
            ObjectStore = new S3ObjectStore(CreateClient(S3), location.Bucket, location.Prefix);
        }
    }

    /// <summary>The data dir's blob folder; finished blobs are there only when <see cref="ObjectStore"/> is null.</summary>
    public BlobStore Local { get; }

    /// <summary>The bucket holding every blob; null when blobs live in the data dir.</summary>
    public S3ObjectStore? ObjectStore { get; }

    /// <summary>Where <see cref="ObjectStore"/> points; null in the data dir mode.</summary>
    public S3Location? Location { get; }

    public S3BlobOptions S3 { get; }

    /// <summary>
    /// True for a while after a read found the store unreachable. A HEAD hit, answered from the catalog alone while the
    /// store is well, then asks the store too, so that the shims' probe sees the outage and falls through to the origin.
    /// </summary>
    public bool StoreRecentlyDown => Environment.TickCount64 - Interlocked.Read(ref _storeDownAt) < StoreDownMemory.TotalMilliseconds;

    public void ReportStoreDown() => Interlocked.Exchange(ref _storeDownAt, Environment.TickCount64);

    public void ReportStoreUp()
    {
        Interlocked.Exchange(ref _storeDownAt, long.MinValue / 2);
        Interlocked.Exchange(ref _storeUpAt, Environment.TickCount64);
    }

    /// <summary>
    /// True while the store answered within the last few seconds (<see cref="S3HealthProbe"/> asks it every second)
    /// and has not failed since: a HEAD hit may then be answered from the catalog alone, without a request to the store.
    /// </summary>
    public bool StoreKnownUp =>
        !StoreRecentlyDown && Environment.TickCount64 - Interlocked.Read(ref _storeUpAt) < StoreUpMemory.TotalMilliseconds;

    /// <summary>
    /// Throws when the blobs cannot be reached: <see cref="ObjectStoreUnavailableException"/> for a store that does not
    /// answer or has no such bucket, <see cref="DirectoryNotFoundException"/> for a blob folder that is gone. One
    /// HEAD of the bucket, for a readiness probe.
    /// </summary>
    public async Task PingAsync(CancellationToken cancellationToken)
    {
        if (ObjectStore is null)
        {
            if (!Local.FoldersExist)
            {
                throw new DirectoryNotFoundException("the blob folder is missing");
            }

            return;
        }

        if (!await ObjectStore.BucketExistsAsync(cancellationToken))
        {
            throw new ObjectStoreUnavailableException($"bucket {ObjectStore.Bucket} does not exist");
        }
    }

    public async Task<bool> ExistsAsync(ContentDigest digest, CancellationToken cancellationToken) =>
        ObjectStore is null ? Local.Exists(digest) : await ObjectStore.ExistsAsync(digest, cancellationToken);

    public async Task DeleteAsync(ContentDigest digest, CancellationToken cancellationToken)
    {
        if (ObjectStore is null)
        {
            Local.Delete(digest);
            return;
        }

        await ObjectStore.DeleteAsync(digest, cancellationToken);
    }

    public void Dispose() => ObjectStore?.Dispose();

    /// <summary>The client for the configured endpoint and keys; each setting left empty comes from its AWS variable.</summary>
    private static IAmazonS3 CreateClient(S3BlobOptions options)
    {
        var endpoint = First(options.Endpoint, "AWS_ENDPOINT_URL_S3") ?? First(null, "AWS_ENDPOINT_URL")
            ?? throw new InvalidOperationException("--blobs s3://… needs AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL to name the S3 endpoint");
        var access = First(options.AccessKeyId, "AWS_ACCESS_KEY_ID")
            ?? throw new InvalidOperationException("--blobs s3://… needs AWS_ACCESS_KEY_ID");
        var secret = First(options.SecretAccessKey, "AWS_SECRET_ACCESS_KEY")
            ?? throw new InvalidOperationException("--blobs s3://… needs AWS_SECRET_ACCESS_KEY");
        var region = First(options.Region, "AWS_REGION") ?? "us-east-1";
        return S3ObjectStore.CreateClient(new Uri(endpoint), region, access, secret);
    }

    private static string? First(string? configured, string variable) =>
        configured is { Length: > 0 } ? configured : Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : null;
}
