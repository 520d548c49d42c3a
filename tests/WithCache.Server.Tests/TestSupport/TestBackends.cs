using Amazon.S3;
using Amazon.S3.Model;
using WithCache.Server.Blobs;
using S3Location = WithCache.Server.Blobs.S3Location;

namespace WithCache.Server.Tests.TestSupport;

/// <summary>
/// Which catalog and blob store the test servers use. By default each server has SQLite and the local folder in its
/// data dir. With <c>WITHCACHE_TEST_BACKENDS=postgres-s3</c> (and <c>WITHCACHE_TEST_PG</c> plus the <c>AWS_*</c>
/// variables of a running radosgw, see ci/services) every server of the suite gets a fresh PostgreSQL schema and a
/// fresh key prefix in one bucket instead, so the whole suite runs once per backend pair and the two cannot drift.
/// </summary>
internal static class TestBackends
{
    public const string Bucket = "withcache-suite";

    public const string SharedSkipReason = "looks at the local data dir's blobs or cache.db, which the postgres-s3 backend pair does not use";

    public const string EnginesSkipReason =
        "needs WITHCACHE_TEST_PG and AWS_ENDPOINT_URL_S3: run ci/services/up.sh DIR and source DIR/pg/pg.env and DIR/ceph/s3.env";

    public const string S3SkipReason = "AWS_ENDPOINT_URL_S3 is not set: start ci/services/ceph-rgw-up.sh and source its s3.env to run the S3 tests";

    private static readonly Lazy<Task> BucketReady = new(CreateBucketAsync);

    /// <summary>True when the AWS variables name a running S3 server (radosgw from ci/services).</summary>
    public static bool HasS3Endpoint { get; } = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3") is { Length: > 0 };

    /// <summary>True when every test server runs on PostgreSQL + S3 (the second run of the suite in CI).</summary>
    public static bool Shared { get; } =
        string.Equals(Environment.GetEnvironmentVariable("WITHCACHE_TEST_BACKENDS"), "postgres-s3", StringComparison.Ordinal);

    /// <summary>The Npgsql connection string of a throwaway PostgreSQL, when one is running.</summary>
    public static string? Postgres { get; } = Environment.GetEnvironmentVariable("WITHCACHE_TEST_PG") is { Length: > 0 } pg ? pg : null;

    /// <summary>True when both engines are there (tests of several hosts need them whatever the backend run).</summary>
    public static bool EnginesAvailable { get; } =
        Postgres is not null && Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3") is { Length: > 0 };

    /// <summary>A catalog of its own: a fresh schema in the test database.</summary>
    public static string NewCatalog() =>
        $"{Postgres ?? throw new InvalidOperationException(EnginesSkipReason)};Search Path=t_{Guid.NewGuid():N}";

    /// <summary>A blob store of its own: a fresh prefix in the suite's bucket (created on first use).</summary>
    public static async Task<string> NewBlobsAsync()
    {
        await BucketReady.Value;
        return $"s3://{Bucket}/t-{Guid.NewGuid():N}/";
    }

    /// <summary>In the postgres-s3 run, points a test server's settings at a catalog and blob store of its own.</summary>
    public static async Task ApplyAsync(IDictionary<string, string?> settings)
    {
        if (!Shared)
        {
            return;
        }

        if (!EnginesAvailable)
        {
            throw new InvalidOperationException("WITHCACHE_TEST_BACKENDS=postgres-s3: " + EnginesSkipReason);
        }

        settings["WithCache:Catalog"] = NewCatalog();
        settings["WithCache:Blobs"] = await NewBlobsAsync();

        // Short leases, so that a job of a stopped test server is not held for long.
        settings["WithCache:JobLease"] = "00:00:03";
    }

    /// <summary>The keys under <paramref name="location"/>'s prefix + <paramref name="under"/>.</summary>
    public static IReadOnlyList<string> ListKeys(S3Location location, string under)
    {
        using var client = S3ObjectStore.CreateClientFromEnvironment();
        return ListKeysAsync(client, location.Bucket, location.Prefix + under).GetAwaiter().GetResult();
    }

    /// <summary>Multipart uploads begun and neither completed nor aborted under <paramref name="location"/>'s prefix.</summary>
    public static IReadOnlyList<string> ListUploads(S3Location location)
    {
        using var client = S3ObjectStore.CreateClientFromEnvironment();
        var uploads = ListUploadsAsync(client, location.Bucket, location.Prefix).GetAwaiter().GetResult();
        return [.. uploads.Select(u => "upload:" + u.Key)];
    }

    /// <summary>Every key in <paramref name="bucket"/> under <paramref name="prefix"/>, all pages.</summary>
    public static async Task<List<string>> ListKeysAsync(IAmazonS3 client, string bucket, string prefix)
    {
        var keys = new List<string>();
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = prefix };
        while (true)
        {
            var page = await client.ListObjectsV2Async(request);
            keys.AddRange((page.S3Objects ?? []).Select(o => o.Key));
            if (page.IsTruncated != true)
            {
                return keys;
            }

            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    /// <summary>The multipart uploads in <paramref name="bucket"/> under <paramref name="prefix"/> (one page).</summary>
    public static async Task<List<MultipartUpload>> ListUploadsAsync(IAmazonS3 client, string bucket, string prefix) =>
        (await client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = bucket, Prefix = prefix })).MultipartUploads ?? [];

    public static async Task<byte[]> ReadObjectAsync(S3Location location, string key)
    {
        using var client = S3ObjectStore.CreateClientFromEnvironment();
        using var response = await client.GetObjectAsync(location.Bucket, key);
        using var body = new MemoryStream();
        await response.ResponseStream.CopyToAsync(body);
        return body.ToArray();
    }

    /// <summary>Aborts every upload in a test's own bucket, deletes every object, then the bucket.</summary>
    public static async Task DeleteBucketAsync(IAmazonS3 client, string bucket)
    {
        foreach (var upload in (await client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = bucket })).MultipartUploads ?? [])
        {
            await client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket, Key = upload.Key, UploadId = upload.UploadId });
        }

        string? token = null;
        do
        {
            var page = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, ContinuationToken = token });
            foreach (var item in page.S3Objects ?? [])
            {
                await client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = item.Key });
            }

            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);
        await client.DeleteBucketAsync(new DeleteBucketRequest { BucketName = bucket });
    }

    private static async Task CreateBucketAsync()
    {
        using var client = S3ObjectStore.CreateClientFromEnvironment();
        try
        {
            await client.PutBucketAsync(new PutBucketRequest { BucketName = Bucket });
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
        }
    }
}
