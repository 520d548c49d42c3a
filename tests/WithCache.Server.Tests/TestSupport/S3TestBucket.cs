using Amazon.S3;
using Amazon.S3.Model;
using WithCache.Server.Blobs;

namespace WithCache.Server.Tests.TestSupport;

/// <summary>
/// A bucket of a test's own on the S3 server the AWS variables name (radosgw from ci/services), with the client that
/// made it; dispose aborts its uploads, deletes its objects and removes it.
/// </summary>
internal sealed class S3TestBucket : IAsyncDisposable
{
    private S3TestBucket(IAmazonS3 client, string name)
    {
        Client = client;
        Name = name;
    }

    public IAmazonS3 Client { get; }

    public string Name { get; }

    /// <summary>Creates a bucket named <paramref name="namePrefix"/> plus 16 random hex digits.</summary>
    public static async Task<S3TestBucket> CreateAsync(string namePrefix)
    {
        var client = S3ObjectStore.CreateClientFromEnvironment();
        var name = namePrefix + Guid.NewGuid().ToString("N")[..16];
        try
        {
            await client.PutBucketAsync(new PutBucketRequest { BucketName = name });
        }
        catch
        {
            client.Dispose();
            throw;
        }

        return new S3TestBucket(client, name);
    }

    public Task<List<string>> ListKeysAsync(string prefix) => TestBackends.ListKeysAsync(Client, Name, prefix);

    public Task<List<MultipartUpload>> ListUploadsAsync(string prefix) => TestBackends.ListUploadsAsync(Client, Name, prefix);

    public async ValueTask DisposeAsync()
    {
        await TestBackends.DeleteBucketAsync(Client, Name);
        Client.Dispose();
    }
}
