namespace WithCache.Server.Observability;

/// <summary>The <c>/metrics</c> settings, bound from the "Metrics" section.</summary>
internal sealed class MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary>When set, a scrape must send <c>Authorization: Bearer &lt;token&gt;</c>; from WITHCACHE_METRICS_TOKEN only.</summary>
    public string? Token { get; set; }
}
