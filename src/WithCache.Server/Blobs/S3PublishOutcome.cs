namespace WithCache.Server.Blobs;

internal enum S3PublishOutcome
{
    /// <summary>This call copied the bytes into the content-addressed key.</summary>
    Published,

    /// <summary>The content-addressed key already held these bytes (another URL, or another host, got there first).</summary>
    AlreadyPresent,
}
