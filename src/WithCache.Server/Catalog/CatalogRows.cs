using System.Data.Common;
using WithCache.Server.Blobs;

namespace WithCache.Server.Catalog;

/// <summary>
/// The catalog's records read from a row, the same for both implementations: the columns are selected in the same
/// order, times are Unix milliseconds and flags read as booleans (SQLite's 0/1 integers and PostgreSQL's booleans
/// alike through <see cref="DbDataReader.GetBoolean"/>).
/// </summary>
internal static class CatalogRows
{
    /// <summary>key, origin, digest, size, fetched_at, hits, misses_before.</summary>
    public static ArtifactRecord ReadArtifact(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), ContentDigest.Parse(r.GetString(2)), r.GetInt64(3),
        DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)), r.GetInt64(5), r.GetInt64(6));

    /// <summary>key, origin, count, first_seen, last_seen.</summary>
    public static MissRecord ReadMiss(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetInt64(2),
        DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3)), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)));

    /// <summary>id, key, origin, state, bytes_done, bytes_total, reason, permanent, created_at, updated_at, temp_file, validator.</summary>
    public static JobRecord ReadJob(DbDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), JobStateText.Parse(r.GetString(3)), r.GetInt64(4),
        r.IsDBNull(5) ? null : r.GetInt64(5), r.IsDBNull(6) ? null : r.GetString(6), r.GetBoolean(7),
        DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(8)), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(9)),
        r.IsDBNull(10) ? null : r.GetString(10), r.IsDBNull(11) ? null : r.GetString(11));

    /// <summary>id, name, hash, created_at, last_used_at, revoked.</summary>
    public static ApiTokenRecord ReadApiToken(DbDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3)),
        r.IsDBNull(4) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)), r.GetBoolean(5));
}
