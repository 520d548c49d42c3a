namespace WithCache.Server.Downloads;

/// <summary>How fills talk to origins. Bound from the configuration section <c>Fetch</c> by the host.</summary>
internal sealed class FetchOptions
{
    public const string Section = "Fetch";

    /// <summary>Longest wait for the next bytes (connect, response headers, each body read); reset on every read.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public int MaxRedirects { get; set; } = 10;

    /// <summary>
    /// Attempts per fill for transient failures (5xx, 408, 429, resets, idle timeouts). An attempt that added bytes
    /// to the temp file starts the count again, so a long download over a flaky link is not given up while it advances.
    /// </summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Wait before the first retry; doubled per retry and capped by <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest wait between attempts, also for the Retry-After of a 429 or 5xx (RFC 9110 section 10.2.3): a
    /// shorter one is waited out as asked, a longer one only this long, so that a fill never holds a worker for the
    /// hour an origin may ask for; after <see cref="MaxAttempts"/> such answers in a row the job fails with the
    /// origin's status as its reason.
    /// </summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary><c>--allow-private</c>: fills may go to loopback, private, link-local and CGNAT addresses.</summary>
    public bool AllowPrivate { get; set; }

    /// <summary><c>--allow-host</c> globs (<c>*.nvidia.com</c>); empty means any host.</summary>
    public IReadOnlyList<string> AllowHosts { get; set; } = [];

    /// <summary>CIDRs allowed although private or otherwise refused (a lab mirror).</summary>
    public IReadOnlyList<string> AllowNetworks { get; set; } = [];

    /// <summary><c>&lt;data-dir&gt;/credentials.json</c>; a missing file means no vendor credentials.</summary>
    public string? CredentialsFile { get; set; }
}
