using WithCache.Core;
using WithCache.Server.Catalog;

namespace WithCache.Server.ReadPath;

/// <summary>
/// Hits and misses counted in memory and written to the catalog in one transaction per interval, so that serving
/// a hit never waits for a write. Misses from a client spraying distinct URLs are bounded twice: here by
/// <see cref="MaxPendingMisses"/> per interval, and in the catalog by the miss cap.
/// </summary>
internal sealed class RequestCounters
{
    public const int MaxPendingMisses = 50_000;

    private readonly Lock _lock = new();

    // One flush at a time, from the swap to the commit: a reader that flushes first (the Misses page) then sees what
    // the periodic flush had already taken but not yet written.
    private readonly Lock _flushLock = new();
    private readonly TimeProvider _time;
    private Dictionary<string, long> _hits = new(StringComparer.Ordinal);
    private Dictionary<string, MissDelta> _misses = new(StringComparer.Ordinal);

    public RequestCounters(TimeProvider time) => _time = time;

    public void CountHit(string key)
    {
        lock (_lock)
        {
            _hits[key] = _hits.GetValueOrDefault(key) + 1;
        }
    }

    public void CountMiss(CacheKey key, OriginUrl origin)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (_misses.TryGetValue(key.Value, out var delta))
            {
                _misses[key.Value] = delta with { Count = delta.Count + 1, LastSeen = now };
            }
            else if (_misses.Count < MaxPendingMisses)
            {
                _misses[key.Value] = new MissDelta(key.Value, origin.Text, 1, now, now);
            }
        }
    }

    /// <summary>Writes what was counted since the last flush.</summary>
    public void Flush(ICacheCatalog database, int missCap = int.MaxValue)
    {
        lock (_flushLock)
        {
            FlushLocked(database, missCap);
        }
    }

    private void FlushLocked(ICacheCatalog database, int missCap)
    {
        Dictionary<string, long> hits;
        Dictionary<string, MissDelta> misses;
        lock (_lock)
        {
            if (_hits.Count == 0 && _misses.Count == 0)
            {
                return;
            }

            hits = _hits;
            misses = _misses;
            _hits = new(StringComparer.Ordinal);
            _misses = new(StringComparer.Ordinal);
        }

        var hitsWritten = false;
        try
        {
            database.AddHits(hits, _time.GetUtcNow());
            hitsWritten = true;
            database.RecordMisses(misses.Values, missCap);
        }
        catch
        {
            // The catalog could not take them (a shared database away): keep them for the next flush.
            PutBack(hitsWritten ? [] : hits, misses);
            throw;
        }
    }

    private void PutBack(Dictionary<string, long> hits, Dictionary<string, MissDelta> misses)
    {
        lock (_lock)
        {
            foreach (var (key, count) in hits)
            {
                _hits[key] = _hits.GetValueOrDefault(key) + count;
            }

            foreach (var (key, delta) in misses)
            {
                if (_misses.TryGetValue(key, out var newer))
                {
                    _misses[key] = newer with { Count = newer.Count + delta.Count, FirstSeen = delta.FirstSeen };
                }
                else if (_misses.Count < MaxPendingMisses)
                {
                    _misses[key] = delta;
                }
            }
        }
    }
}
