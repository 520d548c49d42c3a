using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Prometheus;
using WithCache.Server.Blobs;
using WithCache.Server.Downloads;

namespace WithCache.Server.Observability;

/// <summary>
/// The Prometheus instruments of one server, in a registry of its own (never the library's static default one, so
/// two servers in one process, as in the tests, do not share counts). The read path only adds to counters and
/// histogram children resolved here once; gauges are read from the services that own the numbers at scrape time.
/// </summary>
internal sealed class ServerMetrics
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly Dictionary<DownloadOutcome, Counter.Child> _fillsByOutcome;
    private readonly Histogram.Child[] _readDurations;
    private readonly Counter _hits;
    private readonly Counter _misses;
    private readonly Counter _servedBytes;
    private readonly Counter _filledBytes;
    private readonly Histogram _fillDuration;
    private readonly byte[]? _tokenHash;

    public ServerMetrics(DownloadScheduler scheduler, CapacityLedger capacity, IOptions<MetricsOptions> options)
    {
        var token = options.Value.Token;
        _tokenHash = string.IsNullOrEmpty(token) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(token));

        // Exemplars would read Activity.Current at every count: nothing here is traced.
        var factory = Metrics.WithCustomRegistry(_registry);
        factory.ExemplarBehavior = ExemplarBehavior.NoExemplars();
        _hits = factory.CreateCounter("withcache_hits_total", "Read-path requests (GET or HEAD) answered from the cache.");
        _misses = factory.CreateCounter("withcache_misses_total", "Read-path requests for something not cached.");
        _servedBytes = factory.CreateCounter("withcache_served_bytes_total", "Body bytes of GET hits (their Content-Length; ranges count their length).");
        _filledBytes = factory.CreateCounter("withcache_filled_bytes_total", "Size of the artifacts that fills completed.");
        var fills = factory.CreateCounter("withcache_fills_total", "Fills that ended, by outcome.", "outcome");
        // Every outcome is there from the start, at 0, so a rate over it never begins with a missing series.
        _fillsByOutcome = Enum.GetValues<DownloadOutcome>().ToDictionary(outcome => outcome, outcome => fills.WithLabels(outcome.ToString()));
        _fillDuration = factory.CreateHistogram("withcache_fill_duration_seconds", "Time from a fill's start to its end, whatever the outcome.",
            new HistogramConfiguration { Buckets = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600] });
        var reads = factory.CreateHistogram("withcache_read_request_duration_seconds", "Read-path request duration (GET and HEAD on /b/ and /blob), by method and result.",
            new HistogramConfiguration { LabelNames = ["method", "result"], Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30] });
        _readDurations = [.. from method in new[] { "GET", "HEAD" } from result in ReadResults select reads.WithLabels(method, result)];

        var queueDepth = factory.CreateGauge("withcache_queue_depth", "Fills waiting in the download queue.");
        var running = factory.CreateGauge("withcache_fills_running", "Fills in flight.");
        var stored = factory.CreateGauge("withcache_stored_bytes", "Bytes of finished blobs on disk.");
        var reserved = factory.CreateGauge("withcache_reserved_bytes", "Bytes reserved by fills in flight against the capacity.");
        if (capacity.MaxBytes is { } max)
        {
            factory.CreateGauge("withcache_capacity_bytes", "The --max-bytes cap (only when one is set).").Set(max);
        }

        _registry.AddBeforeCollectCallback(() =>
        {
            queueDepth.Set(scheduler.QueuedCount);
            running.Set(scheduler.RunningCount);
            stored.Set(capacity.StoredBytes);
            reserved.Set(capacity.ReservedBytes);
        });
    }

    /// <summary>The read path's result labels, as the <c>X-WithCache</c> header carries them.</summary>
    public static IReadOnlyList<string> ReadResults { get; } = ["hit", "miss", "refused"];

    public void CountHit() => _hits.Inc();

    public void CountMiss() => _misses.Inc();

    public void CountServed(long bytes) => _servedBytes.Inc(bytes);

    /// <summary>Records a read-path request; <paramref name="resultIndex"/> indexes <see cref="ReadResults"/>.</summary>
    public void ObserveRead(bool head, int resultIndex, TimeSpan elapsed) =>
        _readDurations[(head ? ReadResults.Count : 0) + resultIndex].Observe(elapsed.TotalSeconds);

    public void CountFill(DownloadOutcome outcome, long filledBytes, TimeSpan elapsed)
    {
        _fillsByOutcome[outcome].Inc();
        _fillDuration.Observe(elapsed.TotalSeconds);
        if (filledBytes > 0)
        {
            _filledBytes.Inc(filledBytes);
        }
    }

    /// <summary>True when no token is set, or <paramref name="authorization"/> is "Bearer &lt;token&gt;"; compared in constant time.</summary>
    public bool Admits(StringValues authorization)
    {
        if (_tokenHash is null)
        {
            return true;
        }

        const string Scheme = "Bearer ";
        if (authorization.Count != 1 || authorization[0] is not { } value || !value.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // Hashing first makes both sides the same length, so the comparison's time says nothing about the token.
        var offered = SHA256.HashData(Encoding.UTF8.GetBytes(value[Scheme.Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(offered, _tokenHash);
    }

    public Task WriteAsync(Stream body, CancellationToken cancellationToken) => _registry.CollectAndExportAsTextAsync(body, cancellationToken);
}
