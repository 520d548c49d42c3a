namespace WithCache.Client;

/// <summary>Settings for a <see cref="CacheClient"/>. The client copies them when it is made; later changes do not reach it.</summary>
public sealed class CacheClientOptions
{
    /// <summary>The default <see cref="ProbeTimeout"/>: two seconds.</summary>
    public static readonly TimeSpan DefaultProbeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// One deadline for a whole call (name look-up, connect, request and the status line): a cache-host that is
    /// down, unreachable or silent costs at most this long, then the call answers "not cached". Must be positive
    /// or <see cref="Timeout.InfiniteTimeSpan"/>. Default: <see cref="DefaultProbeTimeout"/>.
    /// </summary>
    public TimeSpan ProbeTimeout { get; set; } = DefaultProbeTimeout;

    /// <summary>
    /// Extra request headers sent to the cache-host with every probe and health check (for example an access
    /// token a reverse proxy in front of the cache-host wants). They go to the cache-host only, never to an origin.
    /// Names are compared without regard to case; a name that is not a valid request header name is refused when
    /// the <see cref="CacheClient"/> is made.
    /// </summary>
    public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
}
