using Microsoft.Extensions.Options;
using WithCache.Server.Catalog;
using WithCache.Server.Hosting;

namespace WithCache.Server.Blobs;

/// <summary>
/// Counts stored blob bytes plus the reservations of fills in flight against <c>--max-bytes</c>, so that two
/// fills racing for the last free space cannot both be admitted. No eviction: a fill that does not fit is refused.
/// On a catalog several hosts share (<see cref="IClusterCapacity"/>), the counts live in the catalog instead, so the
/// cap holds across every host; this class then only forwards.
/// </summary>
internal sealed class CapacityLedger
{
    private readonly Lock _lock = new();
    private readonly Dictionary<long, long> _reservations = [];
    private readonly ICacheCatalog? _catalog;
    private readonly IClusterCapacity? _cluster;
    private long _stored;

    public CapacityLedger(IOptions<ServerOptions> options, ICacheCatalog? catalog = null)
    {
        MaxBytes = options.Value.MaxBytes;
        _cluster = catalog as IClusterCapacity;
        _catalog = _cluster is null ? null : catalog;
    }

    public long? MaxBytes { get; }

    public long StoredBytes
    {
        get
        {
            if (_catalog is not null)
            {
                return _catalog.StoredBytes();
            }

            lock (_lock)
            {
                return _stored;
            }
        }
    }

    public long ReservedBytes
    {
        get
        {
            if (_cluster is not null)
            {
                return _cluster.ReservedBytes();
            }

            lock (_lock)
            {
                return _reservations.Values.Sum();
            }
        }
    }

    /// <summary>Sets the stored total, from the catalog at start-up.</summary>
    public void Initialize(long storedBytes)
    {
        lock (_lock)
        {
            _stored = storedBytes;
        }
    }

    /// <summary>Reserves room for a fill of known length; null when admitted, else the reason it is refused.</summary>
    public string? TryReserve(long jobId, long? length)
    {
        if (MaxBytes is not { } max || length is not { } bytes)
        {
            return null;
        }

        if (_cluster is not null)
        {
            return _cluster.TryReserve(jobId, bytes, max);
        }

        lock (_lock)
        {
            _reservations.Remove(jobId);
            var committed = _stored + _reservations.Values.Sum();
            if (committed + bytes > max)
            {
                return $"cache full: needs {ByteSize.Format(bytes)}, {ByteSize.Format(Math.Max(0, max - committed))} of {ByteSize.Format(max)} free";
            }

            _reservations[jobId] = bytes;
            return null;
        }
    }

    /// <summary>
    /// Turns a fill's reservation into stored bytes. A fill whose length was unknown up front, or that came out longer
    /// than it reserved (the origin sent another version on a retry), is checked here; null when it fits, else the
    /// reason. <paramref name="newBlob"/> is false when identical bytes were stored already.
    /// </summary>
    public string? TryCommit(long jobId, long size, bool newBlob)
    {
        if (_cluster is not null)
        {
            return MaxBytes is { } max ? _cluster.TryCommit(jobId, size, newBlob, max) : null;
        }

        lock (_lock)
        {
            var reserved = _reservations.Remove(jobId, out var reservedBytes);
            if (!newBlob)
            {
                return null;
            }

            if ((!reserved || size > reservedBytes) && MaxBytes is { } max && _stored + _reservations.Values.Sum() + size > max)
            {
                return $"cache full: the download was {ByteSize.Format(size)} and does not fit in {ByteSize.Format(max)}";
            }

            _stored += size;
            return null;
        }
    }

    public void Release(long jobId)
    {
        if (_cluster is not null)
        {
            _cluster.Release(jobId);
            return;
        }

        lock (_lock)
        {
            _reservations.Remove(jobId);
        }
    }

    public void Free(long size)
    {
        lock (_lock)
        {
            _stored = Math.Max(0, _stored - size);
        }
    }
}
