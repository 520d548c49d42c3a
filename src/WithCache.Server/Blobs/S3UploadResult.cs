namespace WithCache.Server.Blobs;

/// <summary>A completed upload: the whole object sits at <paramref name="TempKey"/> until it is published.</summary>
internal sealed record S3UploadResult(string TempKey, ContentDigest Digest, long Length);
