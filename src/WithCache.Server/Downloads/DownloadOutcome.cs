namespace WithCache.Server.Downloads;

/// <summary>How one fill ended. Every expected fault is a value here, never an exception.</summary>
internal enum DownloadOutcome
{
    Completed,
    Cancelled,

    /// <summary>The origin answered 404 or 410.</summary>
    UpstreamNotFound,

    /// <summary>The origin answered 401 or 403.</summary>
    UpstreamDenied,

    /// <summary>Any other status, after the retries a transient one gets.</summary>
    UpstreamError,

    /// <summary>The body did not have the length the origin promised.</summary>
    LengthMismatch,

    IdleTimeout,
    TooManyRedirects,
    RefusedByPolicy,
    CacheFull,
    NetworkError,
    DiskError,

    /// <summary>The S3 object store could not be reached or failed (blobs on <c>--blobs s3://…</c>); worth retrying later.</summary>
    StoreUnavailable,
}
