using Microsoft.AspNetCore.Http.Headers;
using Microsoft.Net.Http.Headers;
using WithCache.Server.Blobs;

namespace WithCache.Server.ReadPath;

/// <summary>
/// A hit on a blob in the S3 store, answered like <c>TypedResults.PhysicalFile(…, enableRangeProcessing: true)</c>
/// answers one in the data dir (the same statuses and headers; the port of ASP.NET Core's FileResultHelper and
/// RangeHelper is in <see cref="Decide"/>), with the body streamed from the store. The handler decides first
/// (<see cref="Decide"/>, from the catalog row alone), then opens the store read only for a GET that sends a body, so
/// a missing object can still be answered as a miss and an outage as 503 before anything is written.
/// </summary>
internal sealed partial class ObjectHitResult : IResult
{
    private const int BufferBytes = 256 * 1024;

    private readonly HitDecision _decision;
    private readonly long _length;
    private readonly DateTimeOffset _lastModified;
    private readonly EntityTagHeaderValue _entityTag;
    private readonly string? _downloadName;
    private readonly S3ObjectRead? _read;
    private readonly string? _redirect;
    private readonly TimeSpan _idleTimeout;
    private readonly ILogger _logger;

    public ObjectHitResult(
        HitDecision decision, long length, DateTimeOffset lastModified, EntityTagHeaderValue entityTag, string? downloadName,
        S3ObjectRead? read, string? redirect, TimeSpan idleTimeout, ILogger logger)
    {
        _decision = decision;
        _length = length;
        _lastModified = RoundDownToWholeSeconds(lastModified);
        _entityTag = entityTag;
        _downloadName = downloadName;
        _read = read;
        _redirect = redirect;
        _idleTimeout = idleTimeout;
        _logger = logger;
    }

    /// <summary>
    /// What a request gets: the status, the normalized byte range of a 206, and whether a body follows (a GET that
    /// is a 200 or 206). The same rules, in the same order, as the framework's file results.
    /// </summary>
    public static HitDecision Decide(HttpRequest request, long length, DateTimeOffset lastModified, EntityTagHeaderValue entityTag)
    {
        // HTTP dates have whole seconds: compare against the date the client was sent.
        lastModified = RoundDownToWholeSeconds(lastModified);
        var headers = request.GetTypedHeaders();
        var isGet = HttpMethods.IsGet(request.Method);
        var state = PreconditionStateOf(headers, lastModified, entityTag);
        if (state == Precondition.NotModified)
        {
            return new HitDecision(StatusCodes.Status304NotModified, null, false);
        }

        if (state == Precondition.Failed)
        {
            return new HitDecision(StatusCodes.Status412PreconditionFailed, null, false);
        }

        if ((isGet || HttpMethods.IsHead(request.Method)) && IfRangeHolds(headers, lastModified, entityTag))
        {
            var (isRangeRequest, range) = ParseRange(request, headers, length);
            if (isRangeRequest)
            {
                // RFC 9110 section 15.5.17: a 416 carries "Content-Range: bytes */length".
                return range is null
                    ? new HitDecision(StatusCodes.Status416RangeNotSatisfiable, null, false)
                    : new HitDecision(StatusCodes.Status206PartialContent, range, isGet);
            }
        }

        return new HitDecision(StatusCodes.Status200OK, null, isGet);
    }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        using (_read)
        {
            if (_redirect is not null)
            {
                // The presigned URL expires in minutes: neither the redirect nor the digests of its empty body may be
                // cached like the immutable bytes are.
                response.Headers.Remove("Repr-Digest");
                response.Headers.Remove("Digest");
                response.Headers.CacheControl = "no-store";
                response.StatusCode = StatusCodes.Status302Found;
                response.Headers.Location = _redirect;
                return;
            }

            var typed = response.GetTypedHeaders();
            typed.LastModified = _lastModified;
            typed.ETag = _entityTag;
            response.StatusCode = _decision.Status;
            if (_decision.Status is StatusCodes.Status304NotModified or StatusCodes.Status412PreconditionFailed)
            {
                return;
            }

            response.ContentType = "application/octet-stream";
            if (_downloadName is not null)
            {
                var disposition = new ContentDispositionHeaderValue("attachment");
                disposition.SetHttpFileName(_downloadName);
                response.Headers.ContentDisposition = disposition.ToString();
            }

            response.ContentLength = _length;
            response.Headers.AcceptRanges = "bytes";
            if (_decision.Status == StatusCodes.Status416RangeNotSatisfiable)
            {
                typed.ContentRange = new ContentRangeHeaderValue(_length);
                response.ContentLength = 0;
                return;
            }

            var bodyLength = _length;
            if (_decision.Range is { From: { } from, To: { } to })
            {
                typed.ContentRange = new ContentRangeHeaderValue(from, to, _length);
                bodyLength = to - from + 1;
                response.ContentLength = bodyLength;
            }

            if (_read is not null && _decision.ServeBody)
            {
                await CopyAsync(httpContext, _read, bodyLength);
            }
        }
    }

    /// <summary>
    /// Copies the store's body into the response with an idle timeout reset on every read: a store that stalls
    /// ends the response (the connection is aborted, so the client sees a short body, never a hang or a padded one).
    /// </summary>
    private async Task CopyAsync(HttpContext httpContext, S3ObjectRead read, long expected)
    {
        var aborted = httpContext.RequestAborted;
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(aborted);

        // Cancelling a read is not enough for every stream the SDK wraps: closing the response unblocks it for sure.
        using var closeOnIdle = idle.Token.Register(read.Dispose);
        var writer = httpContext.Response.BodyWriter;
        long copied = 0;
        try
        {
            while (copied < expected)
            {
                // Read straight into the response pipe's memory: one copy fewer than through a buffer of our own.
                var memory = writer.GetMemory(BufferBytes);
                memory = memory[..(int)Math.Min(memory.Length, expected - copied)];
                idle.CancelAfter(_idleTimeout);
                var count = await read.Body.ReadAsync(memory, idle.Token);
                idle.CancelAfter(Timeout.InfiniteTimeSpan);
                if (count == 0)
                {
                    break;
                }

                writer.Advance(count);
                copied += count;
                var flushed = await writer.FlushAsync(aborted);
                if (flushed.IsCanceled || flushed.IsCompleted)
                {
                    return;
                }
            }

            if (copied < expected)
            {
                LogShortBody(_logger, _entityTag.Tag.ToString(), copied, expected);
                httpContext.Abort();
            }
        }
        catch (Exception e) when (!aborted.IsCancellationRequested && e is OperationCanceledException or IOException or ObjectDisposedException
                                      or HttpRequestException or Amazon.Runtime.AmazonClientException)
        {
            LogStalled(_logger, _entityTag.Tag.ToString(), copied, expected, e.Message);
            httpContext.Abort();
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            LogClientGone(_logger, _entityTag.Tag.ToString());
        }
    }

    // RFC 9110 section 13.2.2: If-Match, If-Unmodified-Since (412) and If-None-Match, If-Modified-Since (304); the
    // strongest answer among them wins, as in FileResultHelper.GetPreconditionState.
    private static Precondition PreconditionStateOf(RequestHeaders headers, DateTimeOffset lastModified, EntityTagHeaderValue entityTag)
    {
        // Section 13.1.1 If-Match: strong comparison.
        var ifMatch = MatchState(headers.IfMatch, entityTag, strong: true, Precondition.ShouldProcess, Precondition.Failed);

        // Section 13.1.2 If-None-Match: weak comparison.
        var ifNoneMatch = MatchState(headers.IfNoneMatch, entityTag, strong: false, Precondition.NotModified, Precondition.ShouldProcess);
        var now = RoundDownToWholeSeconds(DateTimeOffset.UtcNow);

        // Section 13.1.3 If-Modified-Since; a date in the future is ignored.
        var ifModifiedSince = headers.IfModifiedSince is { } since && since <= now
            ? (since < lastModified ? Precondition.ShouldProcess : Precondition.NotModified)
            : Precondition.Unspecified;

        // Section 13.1.4 If-Unmodified-Since.
        var ifUnmodifiedSince = headers.IfUnmodifiedSince is { } unmodified && unmodified <= now
            ? (unmodified >= lastModified ? Precondition.ShouldProcess : Precondition.Failed)
            : Precondition.Unspecified;
        return new[] { ifMatch, ifNoneMatch, ifModifiedSince, ifUnmodifiedSince }.Max();
    }

    private static Precondition MatchState(
        IList<EntityTagHeaderValue> tags, EntityTagHeaderValue entityTag, bool strong, Precondition found, Precondition notFound)
    {
        if (tags.Count == 0)
        {
            return Precondition.Unspecified;
        }

        return tags.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(entityTag, strong)) ? found : notFound;
    }

    // Section 13.1.5 If-Range: a validator that does not match means the Range header is ignored (a whole 200).
    private static bool IfRangeHolds(RequestHeaders headers, DateTimeOffset lastModified, EntityTagHeaderValue entityTag) =>
        headers.IfRange switch
        {
            { LastModified: { } date } => lastModified <= date,
            { EntityTag: { } tag } => tag.Compare(entityTag, useStrongComparison: true),
            _ => true,
        };

    // Section 14.2: one range only; several (or an unparsable header) are ignored, as the framework does, and a range
    // that starts past the end (or any range of an empty blob) is unsatisfiable.
    private static (bool IsRangeRequest, RangeItemHeaderValue? Range) ParseRange(HttpRequest request, RequestHeaders headers, long length)
    {
        var raw = request.Headers.Range;
        if (raw.Count == 0 || string.IsNullOrEmpty(raw[0]))
        {
            return (false, null);
        }

        if (raw.Count > 1 || raw[0]!.Contains(',', StringComparison.Ordinal) || headers.Range is not { } parsed)
        {
            return (false, null);
        }

        if (parsed.Ranges.Count == 0 || length == 0)
        {
            return (true, null);
        }

        var item = parsed.Ranges.Single();
        long from;
        long to;
        if (item.From is { } start)
        {
            if (start >= length)
            {
                return (true, null);
            }

            from = start;
            to = item.To is { } end && end < length ? end : length - 1;
        }
        else if (item.To is { } suffix && suffix > 0)
        {
            var bytes = Math.Min(suffix, length);
            from = length - bytes;
            to = length - 1;
        }
        else
        {
            return (true, null);
        }

        return (true, new RangeItemHeaderValue(from, to));
    }

    private static DateTimeOffset RoundDownToWholeSeconds(DateTimeOffset value) =>
        value.Subtract(TimeSpan.FromTicks(value.Ticks % TimeSpan.TicksPerSecond));

    [LoggerMessage(EventId = 1010, Level = LogLevel.Debug, Message = "Client went away while object {ETag} was being sent")]
    private static partial void LogClientGone(ILogger logger, string eTag);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "Object {ETag} stalled or failed after {Bytes} of {Expected} bytes: {Reason}; connection aborted")]
    private static partial void LogStalled(ILogger logger, string eTag, long bytes, long expected, string reason);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Error, Message = "Object {ETag} ended after {Bytes} of {Expected} bytes; connection aborted")]
    private static partial void LogShortBody(ILogger logger, string eTag, long bytes, long expected);

    private enum Precondition
    {
        Unspecified,
        NotModified,
        ShouldProcess,
        Failed,
    }
}
