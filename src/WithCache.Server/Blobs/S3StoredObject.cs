namespace WithCache.Server.Blobs;

/// <summary>A published object as the bucket lists it: its digest (from the key), length and last-modified time.</summary>
internal sealed record S3StoredObject(ContentDigest Digest, long Size, DateTimeOffset LastModified);
