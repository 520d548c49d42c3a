using WithCache.Server.Hosting;

namespace WithCache.Server.Catalog;

/// <summary>
/// <c>--max-bytes</c> across hosts: stored bytes are the distinct blobs of the artifacts table, each fill's
/// reservation is on its job row (counted while the job is queued or running), and every method is one transaction
/// under one advisory lock, so two hosts cannot both be admitted to the last free space. The sums are read in a
/// statement after the lock is taken, so they see every earlier holder's commit. The refusals say what
/// <see cref="Blobs.CapacityLedger"/> says.
/// </summary>
internal sealed partial class PostgresCatalog
{
    private const string ActiveReservationsSql =
        "SELECT coalesce(sum(reserved_bytes), 0)::bigint FROM jobs WHERE state IN ('queued', 'running') AND id <> @id";

    /// <summary>Reserves <paramref name="bytes"/> for a job, replacing its earlier reservation (which a refusal drops).</summary>
    public string? TryReserve(long jobId, long bytes, long maxBytes) => UnderCapacityLock(connection =>
    {
        var committed = CommittedBytes(connection, jobId);
        var admitted = committed + bytes <= maxBytes;
        SetReservation(connection, jobId, admitted ? bytes : 0);
        return admitted
            ? null
            : $"cache full: needs {ByteSize.Format(bytes)}, {ByteSize.Format(Math.Max(0, maxBytes - committed))} of {ByteSize.Format(maxBytes)} free";
    });

    /// <summary>
    /// Checks a finished fill against the cap. A new blob no larger than the job's reservation fits (its room was
    /// held); otherwise it must fit beside the stored bytes and the other reservations. When it fits, the reservation
    /// becomes <paramref name="size"/> until <see cref="CompleteFill"/> turns it into an artifact row. Identical bytes
    /// already stored always fit and need no reservation: they are counted in the stored bytes.
    /// </summary>
    public string? TryCommit(long jobId, long size, bool newBlob, long maxBytes) => UnderCapacityLock(connection =>
    {
        if (!newBlob)
        {
            SetReservation(connection, jobId, 0);
            return null;
        }

        var reserved = (long)(Scalar(connection, "SELECT reserved_bytes FROM jobs WHERE id = @id AND state IN ('queued', 'running')", Int8("id", jobId)) ?? 0L);
        if ((reserved == 0 || size > reserved) && CommittedBytes(connection, jobId) + size > maxBytes)
        {
            SetReservation(connection, jobId, 0);
            return $"cache full: the download was {ByteSize.Format(size)} and does not fit in {ByteSize.Format(maxBytes)}";
        }

        SetReservation(connection, jobId, size);
        return null;
    });

    /// <summary>Drops a job's reservation (the fill failed or was cancelled).</summary>
    public void Release(long jobId) => UnderCapacityLock(connection =>
    {
        SetReservation(connection, jobId, 0);
        return 0;
    });

    /// <summary>The sum of the reservations of queued and running jobs on every host.</summary>
    public long ReservedBytes() => UnderCapacityLock(connection => (long)Scalar(connection, ActiveReservationsSql, Int8("id", 0))!);

    /// <summary>Stored bytes plus every other active job's reservation, read in one statement (one snapshot).</summary>
    private static long CommittedBytes(Npgsql.NpgsqlConnection connection, long jobId) =>
        (long)Scalar(connection, $"SELECT ({StoredBytesSql}) + ({ActiveReservationsSql})", Int8("id", jobId))!;

    private static void SetReservation(Npgsql.NpgsqlConnection connection, long jobId, long bytes) =>
        Execute(connection, "UPDATE jobs SET reserved_bytes = @bytes WHERE id = @id", Int8("id", jobId), Int8("bytes", bytes));

    private T UnderCapacityLock<T>(Func<Npgsql.NpgsqlConnection, T> work) => InTransaction(connection =>
    {
        Execute(connection, "SELECT pg_advisory_xact_lock(@lock)", Int8("lock", CapacityLockId));
        return work(connection);
    });
}
