using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using WithCache.Core;
using WithCache.Server.Blobs;
using WithCache.Server.Catalog;
using WithCache.Server.Downloads;
using WithCache.Server.Hosting;

namespace WithCache.Server.ReadPath;

/// <summary>
/// The open read path: <c>GET|HEAD /b/&lt;token&gt;/&lt;name&gt;</c>, <c>GET|HEAD /blob?url=</c> and <c>/healthz</c>.
/// Nothing here needs a session. A request path never reaches the filesystem: it becomes a key, the catalog maps
/// the key to a digest, and only the digest names a file.
/// </summary>
internal static partial class ReadPathEndpoints
{
    public const string StateHeader = "X-WithCache";
    private static readonly string[] GetAndHead = [HttpMethods.Get, HttpMethods.Head];

    /// <summary>True for the paths this group answers; the static-file look-up and the thread-pool hop skip them.</summary>
    public static bool IsReadPath(PathString path) => RouteKindOf(path) is not null;

    /// <summary>"fetch" (<c>/b/</c>), "blob" (<c>/blob</c>) or "healthz" for a read-path request; null for any other path.</summary>
    public static string? RouteKindOf(PathString path) =>
        path.StartsWithSegments("/b") ? "fetch"
        : path.StartsWithSegments("/blob") ? "blob"
        : path.StartsWithSegments("/healthz") ? "healthz"
        : null;

    public static RouteGroupBuilder MapReadPath(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("");
        group.MapMethods("/b/{token}", GetAndHead, ServeToken);
        group.MapMethods("/b/{token}/{**name}", GetAndHead, ServeToken);
        group.MapMethods("/b/{**rest}", GetAndHead, (HttpContext context) => BadRequest(context,
            new ProtocolError(ProtocolErrorKind.NotBase64Url, "expected /b/<token>/<name>")));
        group.MapMethods("/blob", GetAndHead, ServeUrl);
        group.MapGet("/healthz", () => TypedResults.Text("ok\n", "text/plain"));
        return group;
    }

    private static async ValueTask<Results<PhysicalFileHttpResult, BlobBodyResult, ObjectHitResult, ContentHttpResult>> ServeToken(
        string token, HttpContext context, ReadPathServices services)
    {
        if (!OriginToken.TryDecode(token, out var originText, out var error))
        {
            return BadRequest(context, error);
        }

        return await ServeAsync(originText, context, services, attachment: false);
    }

    private static async ValueTask<Results<PhysicalFileHttpResult, BlobBodyResult, ObjectHitResult, ContentHttpResult>> ServeUrl(HttpContext context, ReadPathServices services)
    {
        var values = context.Request.Query["url"];
        if (values.Count != 1 || string.IsNullOrEmpty(values[0]))
        {
            return BadRequest(context, new ProtocolError(ProtocolErrorKind.NotAbsoluteHttpUrl, "give exactly one url= parameter"));
        }

        return await ServeAsync(values[0]!, context, services, attachment: true);
    }

    private static async ValueTask<Results<PhysicalFileHttpResult, BlobBodyResult, ObjectHitResult, ContentHttpResult>> ServeAsync(
        string originText, HttpContext context, ReadPathServices services, bool attachment)
    {
        if (!OriginUrl.TryParse(originText, out var origin, out var error))
        {
            return BadRequest(context, error);
        }

        // A catalog or store that cannot be reached throws; Hosting/EngineOutage answers 503 for every route.
        var key = origin.ToKey(services.Options.KeepQuery);
        var artifact = await FindArtifactAsync(key, context, services);
        if (artifact is not null && services.Backend.ObjectStore is { } store)
        {
            if (await FindObjectHitAsync(store, artifact, origin, context, services, attachment) is { } objectHit)
            {
                services.Counters.CountHit(key.Value);
                return objectHit;
            }

            LogObjectMissing(services.Logger, key.Value, artifact.Digest.Hex);
        }
        else if (artifact is not null)
        {
            var path = services.Blobs.PathOf(artifact.Digest);
            if (File.Exists(path))
            {
                services.Counters.CountHit(key.Value);
                SetHitHeaders(context, artifact);
                var entityTag = EntityTagOf(artifact);
                if (!attachment && BlobBodyResult.Applies(context.Request))
                {
                    return new BlobBodyResult(path, artifact.Size, artifact.FetchedAt, entityTag, services.Logger);
                }

                return TypedResults.PhysicalFile(
                    path,
                    "application/octet-stream",
                    fileDownloadName: attachment ? DownloadName(origin) : null,
                    lastModified: artifact.FetchedAt,
                    entityTag: entityTag,
                    enableRangeProcessing: true);
            }

            LogBlobMissing(services.Logger, key.Value, artifact.Digest.Hex);
        }

        // A miss writes to the catalog (a job row); off the socket's I/O thread, so hits on other connections
        // do not wait behind it (request code runs inline there, see ServerApp). With no synchronization context,
        // Task.Yield continues on the thread pool.
        await Task.Yield();
        services.Counters.CountMiss(key, origin);
        string message;
        if (services.Options.Curate)
        {
            message = "not cached; listed for the operator";
        }
        else
        {
            var client = context.Connection.RemoteIpAddress;
            var (outcome, reason) = await EnqueueMissAsync(key, origin, client, context, services);
            message = outcome switch
            {
                EnqueueOutcome.Queued or EnqueueOutcome.AlreadyActive => "not cached; download in progress",
                EnqueueOutcome.AlreadyCached => "not cached yet; try again",
                EnqueueOutcome.BackedOff => "not cached; the last download failed, not retrying yet",
                EnqueueOutcome.Refused => "not cached; will not fetch: " + reason,
                EnqueueOutcome.Throttled => "not cached; not queued: " + reason,
                _ => "not cached; download queue full",
            };
        }

        context.Response.Headers[StateHeader] = "miss";
        return TypedResults.Text(message + "\n", "text/plain", statusCode: StatusCodes.Status404NotFound);
    }

    /// <summary>
    /// The catalog row for a key, waited for at most <see cref="ServerOptions.CatalogReadTimeout"/> (<see cref="CatalogWait"/>):
    /// a catalog that hangs (rather than refusing connections) makes the request a 503 from <see cref="Hosting.EngineOutage"/>
    /// instead of a wait of Npgsql's whole command timeout. The look-up holds no thread meanwhile, so liveness and the
    /// other connections on the same I/O thread are answered as usual.
    /// </summary>
    private static ValueTask<ArtifactRecord?> FindArtifactAsync(CacheKey key, HttpContext context, ReadPathServices services) =>
        CatalogWait.WithinAsync(
            services.Database.FindArtifactAsync(key.Value, services.Options.CatalogReadTimeout, context.RequestAborted),
            services.Options.CatalogReadTimeout,
            context.RequestAborted);

    /// <summary>
    /// Queues a fill for a miss, answered within <see cref="ServerOptions.CatalogReadTimeout"/> like the look-up: a
    /// catalog that hangs after the look-up answered makes the miss a 503, not a wait on a held thread. The abandoned
    /// enqueue lets the key go once Npgsql gives up.
    /// </summary>
    private static ValueTask<(EnqueueOutcome Outcome, string? Reason)> EnqueueMissAsync(
        CacheKey key, OriginUrl origin, System.Net.IPAddress? client, HttpContext context, ReadPathServices services) =>
        CatalogWait.WithinAsync(
            services.Scheduler.EnqueueAsync(
                key, origin, byOperator: false, () => services.AutoFills.TryAdmit(client), services.Options.CatalogReadTimeout, context.RequestAborted),
            services.Options.CatalogReadTimeout,
            context.RequestAborted);

    /// <summary>
    /// A hit on a blob in the S3 store; null when the object is missing (the caller answers a miss). A HEAD is answered
    /// from the catalog row while the store is known to be up (it answered the health probe in the last seconds);
    /// otherwise it asks the store, so that the shims' HEAD probe sees an outage (they run the real tool on the fetch URL
    /// only after a 200). Asking the store on every HEAD would cost a store request per probe: at 1,000 probes a second
    /// that saturated a 2-core host (bench/probe.sh BACKEND=postgres-s3). A GET with a body opens the store's read first (with the range passed through) or, with
    /// <c>--s3-redirect</c>, is sent to a presigned URL. Throws <see cref="ObjectStoreUnavailableException"/> when the
    /// store does not answer within <see cref="S3BlobOptions.ReadTimeout"/>.
    /// </summary>
    private static async Task<ObjectHitResult?> FindObjectHitAsync(
        S3ObjectStore store, ArtifactRecord artifact, OriginUrl origin, HttpContext context, ReadPathServices services, bool attachment)
    {
        var backend = services.Backend;
        var entityTag = EntityTagOf(artifact);
        var decision = ObjectHitResult.Decide(context.Request, artifact.Size, artifact.FetchedAt, entityTag);
        var downloadName = attachment ? DownloadName(origin) : null;
        S3ObjectRead? read = null;
        string? redirect = null;
        if (decision.ServeBody && services.Options.S3Redirect)
        {
            redirect = store.PresignGet(artifact.Digest, DateTime.UtcNow + backend.S3.RedirectLifetime, downloadName);
        }
        else if (decision.ServeBody || (HttpMethods.IsHead(context.Request.Method) && !backend.StoreKnownUp) || backend.StoreRecentlyDown)
        {
            var aborted = context.RequestAborted;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
            timeout.CancelAfter(backend.S3.ReadTimeout);
            try
            {
                if (decision.ServeBody)
                {
                    read = await store.FindReadAsync(artifact.Digest, decision.Range?.From, decision.Range?.To, timeout.Token);
                    if (read is null)
                    {
                        return null;
                    }
                }
                else if (!await store.ExistsAsync(artifact.Digest, timeout.Token))
                {
                    return null;
                }

                backend.ReportStoreUp();
            }
            catch (Exception e) when (!aborted.IsCancellationRequested && e is OperationCanceledException or ObjectStoreUnavailableException or Amazon.S3.AmazonS3Exception)
            {
                // A 4xx other than 404 (wrong keys, a bucket gone) makes the store as unusable as an outage does.
                backend.ReportStoreDown();
                throw e as ObjectStoreUnavailableException
                      ?? new ObjectStoreUnavailableException(e is OperationCanceledException ? $"no answer within {backend.S3.ReadTimeout}" : e.Message, e);
            }
        }

        SetHitHeaders(context, artifact);
        if (services.Options.S3Redirect)
        {
            // Tells the shims' HEAD probe that the GET will be a 302 to the store, so that curl gets --location
            // (or, for a command line that will not follow it, the shim fetches from the origin instead).
            context.Response.Headers[FetchUrl.RedirectHeader] = FetchUrl.RedirectToStore;
        }

        return new ObjectHitResult(decision, artifact.Size, artifact.FetchedAt, entityTag, downloadName, read, redirect, backend.S3.BodyIdleTimeout, services.Logger);
    }

    private static void SetHitHeaders(HttpContext context, ArtifactRecord artifact)
    {
        var headers = context.Response.Headers;
        headers[StateHeader] = "hit";
        var digest = artifact.Digest.ToBase64();
        headers["Repr-Digest"] = $"sha-256=:{digest}:";
        headers["Digest"] = $"SHA-256={digest}";
        headers.CacheControl = "public, max-age=31536000, immutable";
    }

    private static EntityTagHeaderValue EntityTagOf(ArtifactRecord artifact) => new($"\"{artifact.Digest.Hex}\"");

    private static ContentHttpResult BadRequest(HttpContext context, ProtocolError error)
    {
        context.Response.Headers[StateHeader] = "refused";
        return TypedResults.Text(error.Reason + "\n", "text/plain", statusCode: StatusCodes.Status400BadRequest);
    }

    /// <summary>The name a browser saves /blob?url= as: the origin's last segment, unescaped, or a fallback.</summary>
    private static string DownloadName(OriginUrl origin)
    {
        var name = Uri.UnescapeDataString(origin.LastSegment);
        return name.Length == 0 || name.IndexOfAny(['/', '\\', '\0']) >= 0 || name is "." or ".." ? "download" : name;
    }

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "Object {Digest} of {CacheKey} is missing in the store; serving a miss")]
    private static partial void LogObjectMissing(ILogger logger, string cacheKey, string digest);

    [LoggerMessage(EventId = 1000, Level = LogLevel.Error, Message = "Blob {Digest} of {CacheKey} is missing on disk; serving a miss")]
    private static partial void LogBlobMissing(ILogger logger, string cacheKey, string digest);
}
