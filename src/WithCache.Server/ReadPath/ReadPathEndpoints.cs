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

    private static async ValueTask<Results<PhysicalFileHttpResult, BlobBodyResult, ContentHttpResult>> ServeToken(
        string token, HttpContext context, ReadPathServices services)
    {
        if (!OriginToken.TryDecode(token, out var originText, out var error))
        {
            return BadRequest(context, error);
        }

        return await ServeAsync(originText, context, services, attachment: false);
    }

    private static async ValueTask<Results<PhysicalFileHttpResult, BlobBodyResult, ContentHttpResult>> ServeUrl(HttpContext context, ReadPathServices services)
    {
        var values = context.Request.Query["url"];
        if (values.Count != 1 || string.IsNullOrEmpty(values[0]))
        {
            return BadRequest(context, new ProtocolError(ProtocolErrorKind.NotAbsoluteHttpUrl, "give exactly one url= parameter"));
        }

        return await ServeAsync(values[0]!, context, services, attachment: true);
    }

    private static async ValueTask<Results<PhysicalFileHttpResult, BlobBodyResult, ContentHttpResult>> ServeAsync(
        string originText, HttpContext context, ReadPathServices services, bool attachment)
    {
        if (!OriginUrl.TryParse(originText, out var origin, out var error))
        {
            return BadRequest(context, error);
        }

        var key = origin.ToKey(services.Options.KeepQuery);
        var artifact = services.Database.FindArtifact(key.Value);
        if (artifact is not null)
        {
            var path = services.Blobs.PathOf(artifact.Digest);
            if (File.Exists(path))
            {
                services.Counters.CountHit(key.Value);
                var headers = context.Response.Headers;
                headers[StateHeader] = "hit";
                var digest = artifact.Digest.ToBase64();
                headers["Repr-Digest"] = $"sha-256=:{digest}:";
                headers["Digest"] = $"SHA-256={digest}";
                headers.CacheControl = "public, max-age=31536000, immutable";
                var entityTag = new EntityTagHeaderValue($"\"{artifact.Digest.Hex}\"");
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
            var (outcome, reason) = services.Scheduler.Enqueue(key, origin, byOperator: false, () => services.AutoFills.TryAdmit(client));
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

    [LoggerMessage(EventId = 1000, Level = LogLevel.Error, Message = "Blob {Digest} of {CacheKey} is missing on disk; serving a miss")]
    private static partial void LogBlobMissing(ILogger logger, string cacheKey, string digest);
}
