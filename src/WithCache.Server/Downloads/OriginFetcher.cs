using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using WithCache.Core;

namespace WithCache.Server.Downloads;

/// <summary>
/// Copies one origin URL into a temp file: redirects followed by hand (each hop checked), an idle timeout reset on
/// every read instead of a total timeout, SHA-256 while copying, the length checked against <c>Content-Length</c>,
/// a dropped transfer resumed with <c>Range</c>/<c>If-Range</c>, transient failures retried with backoff. Every
/// expected fault comes back as a <see cref="FetchResult"/>; only bugs throw.
/// </summary>
internal sealed partial class OriginFetcher
{
    /// <summary>The named <see cref="HttpClient"/> whose primary handler is <see cref="FetchPolicy.CreatePrimaryHandler"/>.</summary>
    public const string HttpClientName = "origin";

    private const int BufferBytes = 256 * 1024;

    private readonly IHttpClientFactory _httpClients;
    private readonly FetchPolicy _policy;
    private readonly VendorCredentials _credentials;
    private readonly FetchOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<OriginFetcher> _logger;

    public OriginFetcher(
        IHttpClientFactory httpClients,
        FetchPolicy policy,
        VendorCredentials credentials,
        IOptions<FetchOptions> options,
        TimeProvider time,
        ILogger<OriginFetcher> logger)
    {
        _httpClients = httpClients;
        _policy = policy;
        _credentials = credentials;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// Downloads <paramref name="origin"/> into <paramref name="tempPath"/> (created or overwritten).
    /// <paramref name="reserve"/> is called when the first <c>200</c>'s headers arrive, with the announced length
    /// (null when unknown), and again when a later <c>200</c> (another version, after a drop) announces another length;
    /// a non-null answer stops the fill with <see cref="DownloadOutcome.CacheFull"/> and that reason.
    /// <paramref name="progress"/> gets (bytes done, total or null) about every 64 KiB. On
    /// <see cref="DownloadOutcome.Completed"/> the file is whole and fsynced; on any other outcome it has been deleted.
    /// </summary>
    public Task<FetchResult> FetchAsync(
        OriginUrl origin,
        string tempPath,
        Func<long?, string?> reserve,
        Action<long, long?>? progress,
        CancellationToken cancellationToken) =>
        FetchAsync(origin, tempPath, resumeFrom: null, keepPartialOnCancel: null, reserve, progress, cancellationToken);

    /// <summary>
    /// As above, and: <paramref name="resumeFrom"/> continues an interrupted fill whose first bytes are already in
    /// <paramref name="tempPath"/> (they are hashed again, and the rest asked for with <c>Range</c>/<c>If-Range</c>;
    /// the reservation is made at once for the known total). When cancellation arrives and
    /// <paramref name="keepPartialOnCancel"/> says so (a shutdown, not an operator's cancel), a resumable temp file is
    /// kept, fsynced, and the result carries its <see cref="FetchResult.Checkpoint"/>.
    /// </summary>
    public async Task<FetchResult> FetchAsync(
        OriginUrl origin,
        string tempPath,
        FetchCheckpoint? resumeFrom,
        Func<bool>? keepPartialOnCancel,
        Func<long?, string?> reserve,
        Action<long, long?>? progress,
        CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var url = Describe(origin);
        LogStarted(_logger, url);
        FetchResult? result = null;
        FetchTransfer? transfer = null;
        try
        {
            try
            {
                transfer = await OpenTransferAsync(tempPath, resumeFrom, progress, cancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                result = FetchResult.Failed(DownloadOutcome.DiskError, $"could not create the temp file: {e.Message}");
                return result;
            }

            result = await FetchIntoAsync(origin, url, transfer, resumeFrom, keepPartialOnCancel, reserve, cancellationToken);
            return result;
        }
        finally
        {
            transfer?.Dispose();
            if (result?.Outcome != DownloadOutcome.Completed && result?.Checkpoint is null)
            {
                TryDelete(tempPath);
            }

            if (result is not null)
            {
                LogFinished(_logger, url, result.Outcome, result.Reason, _time.GetElapsedTime(started));
            }
        }
    }

    /// <summary>
    /// Downloads <paramref name="origin"/> into <paramref name="sink"/>, which the caller owns (and cleans up when the
    /// fill does not complete). A dropped transfer still resumes with <c>Range</c> within this call (the sink keeps
    /// appending); there is no checkpoint across a restart. A sink fault other than disk I/O (the object store
    /// unreachable) propagates to the caller.
    /// </summary>
    public async Task<FetchResult> FetchAsync(
        OriginUrl origin,
        IFillSink sink,
        Func<long?, string?> reserve,
        Action<long, long?>? progress,
        CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var url = Describe(origin);
        LogStarted(_logger, url);
        using var transfer = new FetchTransfer(sink, progress);
        var result = await FetchIntoAsync(origin, url, transfer, resumeFrom: null, keepPartialOnCancel: null, reserve, cancellationToken);
        LogFinished(_logger, url, result.Outcome, result.Reason, _time.GetElapsedTime(started));
        return result;
    }

    private async Task<FetchResult> FetchIntoAsync(
        OriginUrl origin,
        string url,
        FetchTransfer transfer,
        FetchCheckpoint? resumeFrom,
        Func<bool>? keepPartialOnCancel,
        Func<long?, string?> reserve,
        CancellationToken cancellationToken)
    {
        FetchResult result;
        try
        {
            if (resumeFrom is not null && transfer.Written > 0)
            {
                transfer.Reserved = true;
                if (reserve(transfer.Total) is { } full)
                {
                    result = FetchResult.Failed(DownloadOutcome.CacheFull, full);
                    return result;
                }
            }

            result = await FetchWithRetriesAsync(origin, url, transfer, reserve, cancellationToken);
            if (result.Outcome == DownloadOutcome.Completed)
            {
                try
                {
                    await transfer.FinishAsync(cancellationToken);
                }
                catch (IOException e)
                {
                    result = FetchResult.Failed(DownloadOutcome.DiskError, $"could not write the temp file: {e.Message}");
                }
            }

            return result;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            result = FetchResult.Failed(DownloadOutcome.Cancelled, "cancelled");
            if (keepPartialOnCancel?.Invoke() == true && transfer is { CanResume: true, ResumeValidator: { } validator })
            {
                try
                {
                    await transfer.FinishAsync(CancellationToken.None);
                    result = result with { Checkpoint = new FetchCheckpoint(transfer.Written, transfer.Total, validator.ToString()) };
                }
                catch (IOException)
                {
                    // Not durable: nothing to resume from; the file goes like any other.
                }
            }

            return result;
        }
    }

    /// <summary>
    /// The temp file for a fill: new and empty, or, to resume, the checkpointed file cut to the checkpointed length
    /// with those bytes hashed again (a file shorter than the checkpoint, or a validator that does not parse, starts over).
    /// </summary>
    private static async Task<FetchTransfer> OpenTransferAsync(
        string tempPath, FetchCheckpoint? resumeFrom, Action<long, long?>? progress, CancellationToken cancellationToken)
    {
        if (resumeFrom is not null && File.Exists(tempPath) && new FileInfo(tempPath).Length >= resumeFrom.Bytes
            && RangeConditionHeaderValue.TryParse(resumeFrom.Validator, out var validator))
        {
            var existing = new FileStream(tempPath, FileMode.Open, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete, bufferSize: 0);
            try
            {
                existing.SetLength(resumeFrom.Bytes);
                var resumed = new FetchTransfer(new FileFillSink(existing), progress) { Total = resumeFrom.Total, ResumeValidator = validator };
                await resumed.AdoptExistingAsync(existing, cancellationToken);
                return resumed;
            }
            catch
            {
                await existing.DisposeAsync();
                throw;
            }
        }

        var file = new FileStream(tempPath, FileMode.Create, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete, bufferSize: 0);
        return new FetchTransfer(new FileFillSink(file), progress);
    }

    private async Task<FetchResult> FetchWithRetriesAsync(
        OriginUrl origin,
        string url,
        FetchTransfer transfer,
        Func<long?, string?> reserve,
        CancellationToken cancellationToken)
    {
        var attempts = 0;
        var failuresInARow = 0;
        while (true)
        {
            attempts++;
            var highWater = transfer.HighWater;
            var end = await AttemptAsync(origin, url, transfer, reserve, cancellationToken);
            if (end.Outcome == DownloadOutcome.Completed)
            {
                return new FetchResult(DownloadOutcome.Completed, $"fetched {transfer.Written} bytes", transfer.Written, transfer.HashHex());
            }

            if (!end.Retry)
            {
                return FetchResult.Failed(end.Outcome, end.Reason);
            }

            // Only attempts that add nothing count against the limit: a multi-gigabyte download over a flaky link
            // keeps going while each attempt brings it further.
            failuresInARow = transfer.HighWater > highWater ? 1 : failuresInARow + 1;
            if (failuresInARow >= _options.MaxAttempts)
            {
                var gaveUp = failuresInARow == attempts
                    ? $"gave up after {attempts} attempts"
                    : $"gave up after {failuresInARow} attempts in a row without progress";
                return FetchResult.Failed(end.Outcome, $"{end.Reason}; {gaveUp}");
            }

            var delay = RetryDelay(failuresInARow, end.RetryAfter);
            LogRetrying(_logger, url, end.Reason, attempts, delay);
            await Task.Delay(delay, _time, cancellationToken);
        }
    }

    /// <summary>One attempt: the redirect chain from the origin, then the body of the answer it ends at.</summary>
    private async Task<AttemptEnd> AttemptAsync(
        OriginUrl origin,
        string url,
        FetchTransfer transfer,
        Func<long?, string?> reserve,
        CancellationToken cancellationToken)
    {
        var client = _httpClients.CreateClient(HttpClientName);
        var current = origin;
        var visited = new HashSet<string>(StringComparer.Ordinal);

        // Vendor headers go only to the origin's own host, and stop for good once the chain leaves it or drops to http.
        var credentialsAllowed = true;
        for (var redirects = 0; ; redirects++)
        {
            var who = redirects == 0 ? "origin" : Authority(current);
            if (_policy.Check(current) is { } refusal)
            {
                return AttemptEnd.Final(DownloadOutcome.RefusedByPolicy, Refused(redirects, current, refusal));
            }

            var target = RequestText(current);
            if (!Uri.TryCreate(target, UriKind.Absolute, out var targetUri))
            {
                return AttemptEnd.Final(DownloadOutcome.RefusedByPolicy, Refused(redirects, current, "not a URL that can be requested"));
            }

            if (!visited.Add(targetUri.AbsoluteUri))
            {
                return AttemptEnd.Final(DownloadOutcome.TooManyRedirects, $"redirect loop back to {Authority(current)}{current.Path}");
            }

            credentialsAllowed &= string.Equals(current.Host, origin.Host, StringComparison.OrdinalIgnoreCase)
                && !(origin.Scheme == "https" && current.Scheme == "http");

            using var request = new HttpRequestMessage(HttpMethod.Get, targetUri);
            var ranged = transfer.CanResume;
            if (ranged)
            {
                // RFC 9110 section 14.2 and 13.1.5: ask for the rest, but only if it is still the same representation.
                request.Headers.Range = new RangeHeaderValue(transfer.Written, null);
                request.Headers.IfRange = transfer.ResumeValidator;
            }

            if (credentialsAllowed)
            {
                foreach (var header in _credentials.HeadersFor(targetUri))
                {
                    request.Headers.TryAddWithoutValidation(header.Key, header.Value);
                }
            }

            using var idle = new CancellationTokenSource(_options.IdleTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, idle.Token);
            HttpResponseMessage response;
            try
            {
                response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && idle.IsCancellationRequested)
            {
                return AttemptEnd.Again(DownloadOutcome.IdleTimeout, $"no answer from {Authority(current)} within {Seconds(_options.IdleTimeout)}");
            }
            catch (HttpRequestException e)
            {
                if (FindRefusal(e) is { } connectRefusal)
                {
                    return AttemptEnd.Final(DownloadOutcome.RefusedByPolicy, Refused(redirects, current, connectRefusal));
                }

                return AttemptEnd.Again(DownloadOutcome.NetworkError, $"could not reach {Authority(current)}: {e.Message}");
            }

            using (response)
            {
                var status = (int)response.StatusCode;
                switch (status)
                {
                    case 200 or 206:
                        return await ReceiveAsync(response, who, url, ranged, transfer, reserve, idle, linked.Token, cancellationToken);
                    case 301 or 302 or 303 or 307 or 308:
                        break;
                    case 416 when ranged:
                        // The file is shorter now than the bytes already here (it changed, and the origin checked Range
                        // before If-Range): what is here is of no use, so the next attempt asks for the whole file.
                        await RestartAsync(transfer, resumable: false, cancellationToken);
                        return AttemptEnd.Again(DownloadOutcome.UpstreamError, $"{who} answered {StatusText(status)} to the resume; starting over");
                    case 404 or 410:
                        return AttemptEnd.Final(DownloadOutcome.UpstreamNotFound, $"{who} answered {StatusText(status)}");
                    case 401 or 403:
                        return AttemptEnd.Final(DownloadOutcome.UpstreamDenied, $"{who} answered {StatusText(status)}");
                    case 408 or 429 or >= 500:
                        return AttemptEnd.Again(DownloadOutcome.UpstreamError, $"{who} answered {StatusText(status)}", RetryAfter(response));
                    default:
                        return AttemptEnd.Final(DownloadOutcome.UpstreamError, $"{who} answered {StatusText(status)}");
                }

                if (redirects >= _options.MaxRedirects)
                {
                    return AttemptEnd.Final(DownloadOutcome.TooManyRedirects, $"more than {_options.MaxRedirects} redirects");
                }

                if (response.Headers.Location is not { } location)
                {
                    return AttemptEnd.Final(DownloadOutcome.UpstreamError, $"{who} answered {StatusText(status)} without a Location");
                }

                // RFC 9110 section 10.2.2: a relative Location is resolved against the URL that was requested.
                var next = location.IsAbsoluteUri ? location : new Uri(targetUri, location);
                if (!OriginUrl.TryParse(next.AbsoluteUri, out var nextOrigin, out var error))
                {
                    return AttemptEnd.Final(DownloadOutcome.RefusedByPolicy, $"redirect to {next.Authority} refused: {error.Reason}");
                }

                LogRedirect(_logger, status, Describe(current), Describe(nextOrigin));
                current = nextOrigin;
            }
        }
    }

    private async Task<AttemptEnd> ReceiveAsync(
        HttpResponseMessage response,
        string who,
        string url,
        bool ranged,
        FetchTransfer transfer,
        Func<long?, string?> reserve,
        CancellationTokenSource idle,
        CancellationToken readToken,
        CancellationToken cancellationToken)
    {
        long? total;
        if (response.StatusCode == System.Net.HttpStatusCode.PartialContent)
        {
            if (!ranged)
            {
                return AttemptEnd.Again(DownloadOutcome.UpstreamError, $"{who} answered 206 Partial Content to a request without Range");
            }

            var range = response.Content.Headers.ContentRange;
            if (range is not { Unit: "bytes", HasRange: true } || range.From != transfer.Written
                || (range.HasLength && transfer.Total is { } known && range.Length != known)
                || NamesAnotherRepresentation(response, transfer.ResumeValidator))
            {
                await RestartAsync(transfer, resumable: false, cancellationToken);
                return AttemptEnd.Again(DownloadOutcome.UpstreamError, $"{who} answered a range that does not continue the file; starting over");
            }

            total = range.HasLength ? range.Length : transfer.Total;
            LogResumed(_logger, url, transfer.Written);
        }
        else
        {
            if (transfer.Written > 0)
            {
                // A 200 to a range request is the whole representation again (it changed, or Range is ignored).
                LogStartingOver(_logger, url, transfer.Written);
                await RestartAsync(transfer, resumable: true, cancellationToken);
            }

            total = response.Content.Headers.ContentLength;
            transfer.ResumeValidator = FindResumeValidator(response);
            if (!transfer.Reserved || (total is not null && total != transfer.Total))
            {
                transfer.Reserved = true;
                if (reserve(total) is { } full)
                {
                    return AttemptEnd.Final(DownloadOutcome.CacheFull, full);
                }
            }
        }

        transfer.Total = total;
        transfer.Report();
        var buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        try
        {
            var body = await response.Content.ReadAsStreamAsync(readToken);
            while (true)
            {
                int read;
                try
                {
                    idle.CancelAfter(_options.IdleTimeout);
                    read = await body.ReadAsync(buffer, readToken);

                    // Time spent writing to disk is not the origin's idleness.
                    idle.CancelAfter(Timeout.InfiniteTimeSpan);
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (idle.IsCancellationRequested)
                    {
                        return AttemptEnd.Again(DownloadOutcome.IdleTimeout, $"stalled for {Seconds(_options.IdleTimeout)} after {transfer.Written} bytes");
                    }

                    if (e is OperationCanceledException)
                    {
                        throw;
                    }

                    return Dropped(e, transfer.Written, total);
                }

                if (read == 0)
                {
                    break;
                }

                if (total is { } limit && transfer.Written + read > limit)
                {
                    await RestartAsync(transfer, resumable: false, cancellationToken);
                    return AttemptEnd.Again(DownloadOutcome.LengthMismatch, $"Content-Length said {limit} bytes, got more");
                }

                try
                {
                    await transfer.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    return AttemptEnd.Final(DownloadOutcome.DiskError, $"could not write the temp file: {e.Message}");
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (total is { } expected && transfer.Written != expected)
        {
            return AttemptEnd.Again(DownloadOutcome.LengthMismatch, $"Content-Length said {expected} bytes, got {transfer.Written}");
        }

        transfer.Report();
        return AttemptEnd.Final(DownloadOutcome.Completed, "");
    }

    /// <summary>
    /// True when a 206 carries a validator (RFC 9110 section 15.3.7: the ones a 200 would) that differs from the
    /// If-Range one: the origin ignored If-Range and these bytes are of another version, which must not be spliced on.
    /// </summary>
    private static bool NamesAnotherRepresentation(HttpResponseMessage response, RangeConditionHeaderValue? validator) =>
        (validator?.EntityTag is { } ourTag && response.Headers.ETag is { } answeredTag && answeredTag.Tag != ourTag.Tag)
        || (validator?.Date is { } ourDate && response.Content.Headers.LastModified is { } answeredDate && answeredDate != ourDate);

    private static async ValueTask RestartAsync(FetchTransfer transfer, bool resumable, CancellationToken cancellationToken)
    {
        await transfer.RestartAsync(cancellationToken);
        if (!resumable)
        {
            transfer.ResumeValidator = null;
        }
    }

    private static AttemptEnd Dropped(Exception e, long written, long? total)
    {
        // A body that ends before its Content-Length (the origin closed early) reads as the promise broken; anything
        // else (reset, broken chunking) as the connection dropped. Both are retried and resumed the same way.
        if (e is HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded } && total is { } expected)
        {
            return AttemptEnd.Again(DownloadOutcome.LengthMismatch, $"Content-Length said {expected} bytes, got {written}");
        }

        var of = total is { } length ? $" of {length}" : "";
        return AttemptEnd.Again(DownloadOutcome.NetworkError, $"connection dropped after {written}{of} bytes");
    }

    /// <summary>
    /// A resume is safe only if the origin supports byte ranges and names the representation: a strong ETag, else
    /// Last-Modified (RFC 9110 section 13.1.5; a weak ETag cannot be used in If-Range).
    /// </summary>
    private static RangeConditionHeaderValue? FindResumeValidator(HttpResponseMessage response)
    {
        if (!response.Headers.AcceptRanges.Contains("bytes", StringComparer.OrdinalIgnoreCase))
        {
            return null;
        }

        if (response.Headers.ETag is { IsWeak: false } tag)
        {
            return new RangeConditionHeaderValue(tag);
        }

        return response.Content.Headers.LastModified is { } modified ? new RangeConditionHeaderValue(modified) : null;
    }

    private static string? FindRefusal(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is FetchRefusedException refused)
            {
                return refused.Message;
            }
        }

        return null;
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - _time.GetUtcNow(),
        _ => null,
    };

    private TimeSpan RetryDelay(int failuresInARow, TimeSpan? retryAfter)
    {
        var doubled = _options.RetryBaseDelay.Ticks * Math.Pow(2, Math.Min(failuresInARow - 1, 30));
        var delay = TimeSpan.FromTicks((long)Math.Min(doubled, _options.RetryMaxDelay.Ticks));
        if (retryAfter is { } asked && asked > delay)
        {
            delay = asked < _options.RetryMaxDelay ? asked : _options.RetryMaxDelay;
        }

        return delay;
    }

    private void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogTempLeft(_logger, path, e.Message);
        }
    }

    private static string Refused(int redirects, OriginUrl target, string reason) =>
        redirects == 0 ? reason : $"redirect to {Authority(target)} refused: {reason}";

    /// <summary>What goes on the wire: the URL as written, without its fragment.</summary>
    private static string RequestText(OriginUrl origin) =>
        $"{origin.Scheme}://{Authority(origin)}{(origin.Path.Length == 0 ? "/" : origin.Path)}{(origin.Query is null ? "" : "?" + origin.Query)}";

    private static string Authority(OriginUrl origin) =>
        origin.Port is { } port ? $"{origin.Host}:{port.ToString(CultureInfo.InvariantCulture)}" : origin.Host;

    /// <summary>For logs: scheme, host and path. The query is left out: signed URLs carry someone's token there.</summary>
    private static string Describe(OriginUrl origin) => $"{origin.Scheme}://{Authority(origin)}{origin.Path}";

    private static string StatusText(int status) =>
        $"{status.ToString(CultureInfo.InvariantCulture)} {ReasonPhrases.GetReasonPhrase(status)}".TrimEnd();

    private static string Seconds(TimeSpan span) =>
        span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";

    [LoggerMessage(EventId = 2000, Level = LogLevel.Debug, Message = "Fetching {Url}")]
    private static partial void LogStarted(ILogger logger, string url);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Fetch of {Url} ended {Outcome} after {Elapsed}: {Reason}")]
    private static partial void LogFinished(ILogger logger, string url, DownloadOutcome outcome, string reason, TimeSpan elapsed);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Fetch of {Url}: {Reason} (attempt {Attempt}); retrying in {Delay}")]
    private static partial void LogRetrying(ILogger logger, string url, string reason, int attempt, TimeSpan delay);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Debug, Message = "Redirect {Status} from {Url} to {Location}")]
    private static partial void LogRedirect(ILogger logger, int status, string url, string location);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "Fetch of {Url} resumed at byte {Offset}")]
    private static partial void LogResumed(ILogger logger, string url, long offset);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "Fetch of {Url}: the origin sent the whole file again; starting over after {Bytes} bytes")]
    private static partial void LogStartingOver(ILogger logger, string url, long bytes);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "Could not delete temp file {Path}: {Error}; start-up sweeps it")]
    private static partial void LogTempLeft(ILogger logger, string path, string error);

    /// <summary>How one attempt ended: done (success or for good) or worth another try.</summary>
    private sealed record AttemptEnd(DownloadOutcome Outcome, string Reason, bool Retry, TimeSpan? RetryAfter)
    {
        public static AttemptEnd Final(DownloadOutcome outcome, string reason) => new(outcome, reason, false, null);

        public static AttemptEnd Again(DownloadOutcome outcome, string reason, TimeSpan? retryAfter = null) =>
            new(outcome, reason, true, retryAfter);
    }
}
