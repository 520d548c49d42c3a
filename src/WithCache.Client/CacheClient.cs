using System.Net;
using WithCache.Core;

namespace WithCache.Client;

/// <summary>
/// Asks a withcache cache-host whether it holds an HTTP artifact, with the same fetch URL and probe as the
/// withcache curl/wget shims: one <c>HEAD</c> on <c>&lt;server&gt;/b/&lt;token&gt;/&lt;name&gt;[?&lt;query&gt;]</c>.
/// </summary>
/// <remarks>
/// <para>The whole integration is one line; the worst case is always "fetch from the origin":</para>
/// <code>
/// var url = await client.ServeUrlAsync(server, origin) ?? new Uri(origin);
/// </code>
/// <para>
/// A probe counts as a miss on the cache-host when it does not hold the artifact and, in its auto-fetch mode,
/// queues a background download of the origin (a later call then answers with the fetch URL). A miss, a timeout,
/// an unreachable or silent cache-host, an answer other than <c>200</c>, a malformed server address and an
/// origin the protocol refuses all answer "not cached"; none of them throws.
/// </para>
/// <para>The instance is safe to use from several threads at once and is meant to be kept and reused.</para>
/// </remarks>
public sealed class CacheClient : IDisposable
{
    private const string HealthPath = "/healthz";

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly TimeSpan _probeTimeout;
    private readonly KeyValuePair<string, string>[] _headers;

    /// <summary>Makes a client.</summary>
    /// <param name="httpClient">
    /// The <see cref="HttpClient"/> to send with (its handler, proxy and default headers apply; the client never
    /// disposes it). Null: the client makes its own and disposes it in <see cref="Dispose"/>.
    /// </param>
    /// <param name="options">Timeout and extra headers; null means the defaults of <see cref="CacheClientOptions"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <see cref="CacheClientOptions.ProbeTimeout"/> is zero or negative (other than <see cref="Timeout.InfiniteTimeSpan"/>).
    /// </exception>
    /// <exception cref="ArgumentException">
    /// A name in <see cref="CacheClientOptions.Headers"/> is not a valid request header name, or a value holds a line break.
    /// </exception>
    public CacheClient(HttpClient? httpClient = null, CacheClientOptions? options = null)
    {
        options ??= new CacheClientOptions();
        if (options.ProbeTimeout <= TimeSpan.Zero && options.ProbeTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.ProbeTimeout, "ProbeTimeout must be positive or Timeout.InfiniteTimeSpan.");
        }

        _probeTimeout = options.ProbeTimeout;
        _headers = [.. options.Headers];
        ValidateHeaders(_headers);
        if (httpClient is null)
        {
            // The probe timeout is the only deadline; HttpClient's own 100 s default would never matter.
            _http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            _ownsHttp = true;
        }
        else
        {
            _http = httpClient;
        }
    }

    /// <summary>
    /// The URL to fetch <paramref name="origin"/> from when the cache-host holds it (it answered <c>200</c> to a
    /// <c>HEAD</c> on that URL), else null. The URL keeps the origin's last path segment and query, so a tool
    /// that names its file after the URL saves the same name as from the origin.
    /// </summary>
    /// <param name="server">
    /// The cache-host as <c>WITHCACHE_SERVER</c> takes it: <c>host</c>, <c>host:port</c> or
    /// <c>http(s)://host[:port]</c>; a missing scheme means <c>http://</c>. A malformed address answers null.
    /// </param>
    /// <param name="origin">
    /// The artifact's URL exactly as it would be fetched. Anything but an absolute <c>http</c>/<c>https</c> URL,
    /// a URL with credentials (<c>user@host</c>), control characters or more than 8192 UTF-8 bytes answers null
    /// without asking the cache-host.
    /// </param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The fetch URL on a hit; null on a miss or when the cache-host cannot answer in time.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="server"/> or <paramref name="origin"/> is null.</exception>
    /// <exception cref="OperationCanceledException">
    /// <paramref name="cancellationToken"/> was cancelled. The client's own <see cref="CacheClientOptions.ProbeTimeout"/>
    /// never throws: it answers null.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The client (when it made its own <see cref="HttpClient"/>) or the caller's <see cref="HttpClient"/> was disposed.</exception>
    public Task<Uri?> ServeUrlAsync(string server, string origin, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(origin);
        return ProbeAsync(server, origin, cancellationToken);
    }

    /// <summary>Whether the cache-host holds <paramref name="origin"/>: the same probe as <see cref="ServeUrlAsync"/>.</summary>
    /// <param name="server">The cache-host, as for <see cref="ServeUrlAsync"/>; a malformed address answers false.</param>
    /// <param name="origin">The artifact's URL, as for <see cref="ServeUrlAsync"/>; one the protocol refuses answers false.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>True on a hit; false on a miss or when the cache-host cannot answer in time.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="server"/> or <paramref name="origin"/> is null.</exception>
    /// <exception cref="OperationCanceledException">
    /// <paramref name="cancellationToken"/> was cancelled (the client's own timeout answers false instead).
    /// </exception>
    /// <exception cref="ObjectDisposedException">The client (when it made its own <see cref="HttpClient"/>) or the caller's <see cref="HttpClient"/> was disposed.</exception>
    public Task<bool> IsCachedAsync(string server, string origin, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(origin);
        return IsHitAsync(server, origin, cancellationToken);
    }

    /// <summary>Whether the cache-host answers its health check (<c>GET /healthz</c>) with a success status in time.</summary>
    /// <param name="server">The cache-host, as for <see cref="ServeUrlAsync"/>; a malformed address answers false.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>True when the cache-host answered 2xx; false when it answered otherwise, not at all or too late.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="server"/> is null.</exception>
    /// <exception cref="OperationCanceledException">
    /// <paramref name="cancellationToken"/> was cancelled (the client's own timeout answers false instead).
    /// </exception>
    /// <exception cref="ObjectDisposedException">The client (when it made its own <see cref="HttpClient"/>) or the caller's <see cref="HttpClient"/> was disposed.</exception>
    public Task<bool> IsHealthyAsync(string server, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        return CheckHealthAsync(server, cancellationToken);
    }

    /// <summary>Disposes the <see cref="HttpClient"/> the client made itself; one passed in by the caller is left alone.</summary>
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private async Task<Uri?> ProbeAsync(string server, string origin, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!ServerAddress.TryNormalize(server, out var serverBase, out _)
            || !OriginUrl.TryParse(origin, out var originUrl, out _)
            || !Uri.TryCreate(FetchUrl.Build(serverBase, originUrl), UriKind.Absolute, out var fetchUrl))
        {
            return null;
        }

        var status = await SendAsync(HttpMethod.Head, fetchUrl, cancellationToken).ConfigureAwait(false);
        return status == HttpStatusCode.OK ? fetchUrl : null;
    }

    private async Task<bool> IsHitAsync(string server, string origin, CancellationToken cancellationToken) =>
        await ProbeAsync(server, origin, cancellationToken).ConfigureAwait(false) is not null;

    private async Task<bool> CheckHealthAsync(string server, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!ServerAddress.TryNormalize(server, out var serverBase, out _)
            || !Uri.TryCreate(serverBase + HealthPath, UriKind.Absolute, out var healthUrl))
        {
            return false;
        }

        var status = await SendAsync(HttpMethod.Get, healthUrl, cancellationToken).ConfigureAwait(false);
        return status is >= HttpStatusCode.OK and < HttpStatusCode.MultipleChoices;
    }

    /// <summary>The status the cache-host answered within the probe timeout, or null when it could not answer.</summary>
    private async Task<HttpStatusCode?> SendAsync(HttpMethod method, Uri url, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, url);
        foreach (var (name, value) in _headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_probeTimeout);
        try
        {
            // Only the status line matters; a body (the health check's) is never read.
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token)
                .ConfigureAwait(false);
            return response.StatusCode;
        }
        catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
        {
            // The caller's cancellation is theirs to see, carrying their token rather than the linked one.
            throw new OperationCanceledException(e.Message, e, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The probe timeout (or the caller's HttpClient.Timeout): the cache-host is slow or silent.
            return null;
        }
        catch (HttpRequestException)
        {
            // Refused, unreachable, reset, a failed TLS check, a malformed answer: fetch from the origin.
            return null;
        }
    }

    private static void ValidateHeaders(KeyValuePair<string, string>[] headers)
    {
        using var probe = new HttpRequestMessage();
        foreach (var (name, value) in headers)
        {
            if (value is null || value.AsSpan().IndexOfAny('\r', '\n') >= 0 || !probe.Headers.TryAddWithoutValidation(name, value))
            {
                throw new ArgumentException($"'{name}' is not a valid request header, or its value is null or holds a line break.", "options");
            }
        }
    }
}
