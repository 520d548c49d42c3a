namespace WithCache.Server.Blobs;

/// <summary>
/// How the server talks to the S3 store of <c>--blobs s3://…</c>, bound from the "S3" section. Not command-line flags:
/// the endpoint and keys come from the standard AWS variables unless set here (tests point a server at a store this
/// way instead of changing the process environment), and the timings have defaults meant for production.
/// </summary>
internal sealed class S3BlobOptions
{
    public const string Section = "S3";

    /// <summary>The endpoint; null for <c>AWS_ENDPOINT_URL_S3</c>, else <c>AWS_ENDPOINT_URL</c>.</summary>
    public string? Endpoint { get; set; }

    /// <summary>The signing region; null for <c>AWS_REGION</c>, else us-east-1.</summary>
    public string? Region { get; set; }

    /// <summary>Null for <c>AWS_ACCESS_KEY_ID</c>.</summary>
    public string? AccessKeyId { get; set; }

    /// <summary>Null for <c>AWS_SECRET_ACCESS_KEY</c>. Never logged.</summary>
    public string? SecretAccessKey { get; set; }

    /// <summary>
    /// How old a temp key, an open multipart upload or an object no catalog row names must be before start-up removes
    /// it: younger ones may belong to another host that is filling (or between publish and catalog commit) right now.
    /// </summary>
    public TimeSpan OrphanGrace { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a hit waits for the store's answer headers before it answers 503.</summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a hit's body may wait for the store's next bytes before the response is cut off.</summary>
    public TimeSpan BodyIdleTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the presigned URL of a <c>--s3-redirect</c> answer stays valid.</summary>
    public TimeSpan RedirectLifetime { get; set; } = TimeSpan.FromMinutes(5);
}
