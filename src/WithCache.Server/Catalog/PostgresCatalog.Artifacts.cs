using Npgsql;
using WithCache.Server.Blobs;

namespace WithCache.Server.Catalog;

/// <summary>Artifacts (key → blob) and counted misses.</summary>
internal sealed partial class PostgresCatalog
{
    private const string ArtifactColumns = "SELECT key, origin, digest, size, fetched_at, hits, misses_before FROM artifacts";

    private const string MissColumns = "SELECT key, origin, count, first_seen, last_seen FROM misses";

    private const string KeyFilter = "WHERE (@filter::text IS NULL OR strpos(key, @filter) > 0)";

    /// <summary>One page of rows whose key contains the query's filter, in <paramref name="order"/>.</summary>
    private List<T> ListPage<T>(string select, string order, ListQuery query, Func<NpgsqlDataReader, T> read) =>
        Run(connection => ReadAll(connection, read, $"{select} {KeyFilter} ORDER BY {order} LIMIT @limit OFFSET @offset",
            Text("filter", EmptyToNull(query.Filter)), Int8("limit", query.SafeLimit), Int8("offset", query.SafeOffset)));

    // ---- artifacts ----

    /// <summary>One primary-key look-up, never cached: another host may have deleted the row a moment ago.</summary>
    public ArtifactRecord? FindArtifact(string key) => Run(connection =>
        ReadAll(connection, CatalogRows.ReadArtifact, FindArtifactSql, Text("key", key)).FirstOrDefault());

    /// <summary><see cref="FindArtifact"/> without blocking the caller's thread on the network; the query is cancelled after <paramref name="timeout"/>.</summary>
    public ValueTask<ArtifactRecord?> FindArtifactAsync(string key, TimeSpan timeout, CancellationToken cancellationToken) =>
        RunBoundedAsync(async (connection, token) =>
        {
            await using var command = Command(connection, FindArtifactSql, Text("key", key));
            await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            return await reader.ReadAsync(token).ConfigureAwait(false) ? CatalogRows.ReadArtifact(reader) : null;
        }, timeout, cancellationToken);

    private const string FindArtifactSql = ArtifactColumns + " WHERE key = @key";

    public IReadOnlyList<ArtifactRecord> ListArtifacts(ListQuery query) =>
        ListPage(ArtifactColumns, CatalogOrder.Artifacts(query), query, CatalogRows.ReadArtifact);

    public long CountArtifacts(string? filter = null) => Run(connection =>
        (long)Scalar(connection, $"SELECT count(*) FROM artifacts {KeyFilter}", Text("filter", EmptyToNull(filter)))!);

    /// <summary>Bytes used by distinct blobs (two keys with the same bytes share one blob).</summary>
    public long StoredBytes() => Run(connection => (long)Scalar(connection, StoredBytesSql)!);

    private const string StoredBytesSql = "SELECT coalesce(sum(size), 0)::bigint FROM (SELECT DISTINCT digest, size FROM artifacts) blobs";

    public IReadOnlyList<(ContentDigest Digest, long Size)> ListDigests() => Run(connection =>
        ReadAll(connection, r => (ContentDigest.Parse(r.GetString(0)), r.GetInt64(1)), "SELECT DISTINCT digest, size FROM artifacts"));

    /// <summary>
    /// Records a finished fill: the artifact row (carrying the key's miss count), the job's end (its reservation
    /// cleared), the miss row gone. The miss lock keeps a concurrent <see cref="RecordMisses"/> from writing the
    /// key's miss row back between the two.
    /// </summary>
    public void CompleteFill(long jobId, string key, string origin, ContentDigest digest, long size, DateTimeOffset now) => InTransaction(connection =>
    {
        Execute(connection, "SELECT pg_advisory_xact_lock(@lock)", Int8("lock", MissLockId));
        Execute(connection, """
            INSERT INTO artifacts(key, origin, digest, size, fetched_at, hits, misses_before)
            VALUES(@key, @origin, @digest, @size, @now, 0, coalesce((SELECT count FROM misses WHERE key = @key), 0))
            ON CONFLICT(key) DO UPDATE SET origin = excluded.origin, digest = excluded.digest, size = excluded.size,
                fetched_at = excluded.fetched_at
            """, Text("key", key), Text("origin", origin), Text("digest", digest.Hex), Int8("size", size), Int8("now", now.ToUnixTimeMilliseconds()));
        Execute(connection, "DELETE FROM misses WHERE key = @key", Text("key", key));
        Execute(connection, """
            UPDATE jobs SET state = 'completed', bytes_done = @size, bytes_total = @size, reason = NULL, updated_at = @now,
                temp_file = NULL, validator = NULL, reserved_bytes = 0
            WHERE id = @id
            """, Int8("id", jobId), Int8("size", size), Int8("now", now.ToUnixTimeMilliseconds()));
        PruneFinishedJobs(connection);
        return 0;
    });

    /// <summary>
    /// Deletes an artifact row; returns its digest and whether another row still uses that blob. A lock on the digest
    /// makes two hosts deleting the last two keys of one blob agree that the second one leaves it unused.
    /// </summary>
    public (ContentDigest Digest, long Size, bool BlobStillUsed)? DeleteArtifact(string key) => InTransaction<(ContentDigest, long, bool)?>(connection =>
    {
        var deleted = ReadAll(connection, r => (r.GetString(0), r.GetInt64(1)), "DELETE FROM artifacts WHERE key = @key RETURNING digest, size", Text("key", key));
        if (deleted.Count == 0)
        {
            return null;
        }

        var (digestHex, size) = deleted[0];
        Execute(connection, "SELECT pg_advisory_xact_lock(@class, hashtext(@digest))", Int4("class", DigestLockClass), Text("digest", digestHex));
        var stillUsed = (bool)Scalar(connection, "SELECT EXISTS(SELECT 1 FROM artifacts WHERE digest = @digest)", Text("digest", digestHex))!;
        return (ContentDigest.Parse(digestHex), size, stillUsed);
    });

    /// <summary>Drops the rows of a blob that is gone from the store; returns how many.</summary>
    public int DeleteArtifactsWithDigest(ContentDigest digest) =>
        Run(connection => Execute(connection, "DELETE FROM artifacts WHERE digest = @digest", Text("digest", digest.Hex)));

    /// <summary>Rows are locked in key order first, so two hosts flushing overlapping hits cannot deadlock.</summary>
    public void AddHits(IReadOnlyDictionary<string, long> hits, DateTimeOffset now)
    {
        if (hits.Count == 0)
        {
            return;
        }

        var keys = hits.Keys.ToArray();
        var counts = keys.Select(k => hits[k]).ToArray();
        InTransaction(connection =>
        {
            Execute(connection, "SELECT 1 FROM artifacts WHERE key = ANY(@keys) ORDER BY key FOR UPDATE", TextArray("keys", keys));
            return Execute(connection, """
                UPDATE artifacts a SET hits = a.hits + h.count, last_hit_at = @now
                FROM unnest(@keys, @counts) AS h(key, count) WHERE a.key = h.key
                """, TextArray("keys", keys), Int8Array("counts", counts), Int8("now", now.ToUnixTimeMilliseconds()));
        });
    }

    // ---- misses ----

    /// <summary>
    /// Adds counted misses and drops the least recently seen keys beyond <paramref name="cap"/>. A miss of a key that
    /// is cached by now is dropped; the miss lock orders this against <see cref="CompleteFill"/>, so "cached by now"
    /// sees a fill another host committed a moment ago.
    /// </summary>
    public void RecordMisses(IReadOnlyCollection<MissDelta> deltas, int cap)
    {
        if (deltas.Count == 0)
        {
            return;
        }

        // One row per key, as SQLite's row-by-row upsert would leave it: the first delta's origin and first-seen.
        var merged = deltas.GroupBy(d => d.Key, StringComparer.Ordinal).Select(g => g.Aggregate((a, b) =>
            a with { Count = a.Count + b.Count, LastSeen = a.LastSeen > b.LastSeen ? a.LastSeen : b.LastSeen })).ToList();
        InTransaction(connection =>
        {
            Execute(connection, "SELECT pg_advisory_xact_lock(@lock)", Int8("lock", MissLockId));
            Execute(connection, """
                INSERT INTO misses(key, origin, count, first_seen, last_seen)
                SELECT d.key, d.origin, d.count, d.first_seen, d.last_seen
                FROM unnest(@keys, @origins, @counts, @firsts, @lasts) AS d(key, origin, count, first_seen, last_seen)
                WHERE NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.key = d.key)
                ORDER BY d.key
                ON CONFLICT(key) DO UPDATE SET count = misses.count + excluded.count,
                    last_seen = greatest(misses.last_seen, excluded.last_seen)
                """,
                TextArray("keys", merged.Select(d => d.Key).ToArray()),
                TextArray("origins", merged.Select(d => d.Origin).ToArray()),
                Int8Array("counts", merged.Select(d => d.Count).ToArray()),
                Int8Array("firsts", merged.Select(d => d.FirstSeen.ToUnixTimeMilliseconds()).ToArray()),
                Int8Array("lasts", merged.Select(d => d.LastSeen.ToUnixTimeMilliseconds()).ToArray()));
            var excess = (long)Scalar(connection, "SELECT count(*) FROM misses")! - cap;
            if (excess > 0)
            {
                Execute(connection, "DELETE FROM misses WHERE key IN (SELECT key FROM misses ORDER BY last_seen, key LIMIT @excess)", Int8("excess", excess));
            }

            return 0;
        });
    }

    public MissRecord? FindMiss(string key) => Run(connection =>
        ReadAll(connection, CatalogRows.ReadMiss, MissColumns + " WHERE key = @key", Text("key", key)).FirstOrDefault());

    public IReadOnlyList<MissRecord> ListMisses(ListQuery query) =>
        ListPage(MissColumns, CatalogOrder.Misses(query), query, CatalogRows.ReadMiss);

    public long CountMisses(string? filter = null) => Run(connection =>
        (long)Scalar(connection, $"SELECT count(*) FROM misses {KeyFilter}", Text("filter", EmptyToNull(filter)))!);

    public bool DeleteMiss(string key) =>
        Run(connection => Execute(connection, "DELETE FROM misses WHERE key = @key", Text("key", key)) > 0);
}
