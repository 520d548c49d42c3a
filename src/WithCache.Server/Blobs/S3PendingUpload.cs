namespace WithCache.Server.Blobs;

/// <summary>A multipart upload the store still holds open (a fill in progress somewhere, or one a crash left behind).</summary>
internal sealed record S3PendingUpload(string Key, string UploadId, DateTimeOffset Initiated);
