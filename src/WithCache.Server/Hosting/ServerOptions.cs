using System.ComponentModel.DataAnnotations;

namespace WithCache.Server.Hosting;

/// <summary>The cache-host's settings, bound from the "WithCache" section (the command line lands there).</summary>
internal sealed class ServerOptions
{
    public const string Section = "WithCache";

    [Required]
    public string DataDir { get; set; } = "data";

    [Range(0, 65535)]
    public int Port { get; set; } = 3000;

    /// <summary>An IP address to listen on; "*" means every interface.</summary>
    [Required]
    public string Bind { get; set; } = "*";

    [Range(1, 64)]
    public int Workers { get; set; } = 4;

    public bool Curate { get; set; }

    /// <summary>Cap on stored blobs plus fills in flight; null = no cap.</summary>
    [Range(1, long.MaxValue)]
    public long? MaxBytes { get; set; }

    public bool KeepQuery { get; set; }

    /// <summary>How many distinct missed keys are kept; the least recently seen are dropped beyond it.</summary>
    [Range(100, 100_000_000)]
    public int MaxMisses { get; set; } = 200_000;

    /// <summary>New fills a miss from one client address (IPv6: one /64) may start per minute; 0 = no limit.</summary>
    [Range(0, 1_000_000)]
    public int AutoFillsPerMinute { get; set; } = 120;

    /// <summary>How many download jobs the catalog keeps; the oldest finished ones are dropped beyond it.</summary>
    [Range(100, 100_000_000)]
    public int MaxJobs { get; set; } = 100_000;

    /// <summary>How many audit events are kept; the oldest are dropped beyond it.</summary>
    [Range(100, 10_000_000)]
    public int MaxEvents { get; set; } = 10_000;

    /// <summary>How long a fill that failed for good (404, 403, refused) blocks new fills of its key; doubles per failure.</summary>
    public TimeSpan FailureBackoff { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Where the catalog lives: null or empty for SQLite in the data dir (one host); a <c>postgres://</c> URL or an
    /// Npgsql connection string for a PostgreSQL database that several cache-hosts share. May hold a password: never logged.
    /// </summary>
    public string? Catalog { get; set; }

    /// <summary>Where blobs live: null or empty for the data dir; <c>s3://bucket/prefix</c> for an S3-compatible store.</summary>
    public string? Blobs { get; set; }

    /// <summary>Answer hits from an S3 store with a 302 to a short-lived presigned URL instead of streaming them.</summary>
    public bool S3Redirect { get; set; }

    /// <summary>
    /// This host's name in the shared catalog's job leases; default machine name and port. A restarted host takes back
    /// the jobs it held at once; another host takes them once their lease runs out.
    /// </summary>
    public string? HostId { get; set; }

    /// <summary>How long a job claimed by a host stays its own without a heartbeat (renewed every third of it).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan JobLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the read path waits for the catalog's answer to a look-up before the request is a 503 (a database that
    /// hangs instead of refusing: a stopped VM, a failover, a lock). Used when the look-up can wait without a thread
    /// (PostgreSQL); SQLite's look-up is a local read.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan CatalogReadTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often counted hits and misses are written to the catalog in one transaction.</summary>
    public TimeSpan CounterFlushInterval { get; set; } = TimeSpan.FromSeconds(1);
}
