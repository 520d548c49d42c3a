namespace WithCache.Server.Catalog;

/// <summary>
/// <c>--max-bytes</c> kept across every host of a shared catalog: stored bytes are the catalog's distinct blobs, and
/// each fill's reservation is on its job row, so two hosts racing for the last free space cannot both be admitted.
/// Each method is one transaction serialised by the catalog (an advisory lock on PostgreSQL).
/// <see cref="Blobs.CapacityLedger"/> uses it when the catalog offers it; a one-host catalog keeps the ledger in memory.
/// </summary>
internal interface IClusterCapacity
{
    /// <summary>
    /// Reserves <paramref name="bytes"/> for a job (replacing its earlier reservation); null when admitted, else the
    /// reason it is refused. Admitted when stored bytes plus every other active job's reservation plus this one fit in
    /// <paramref name="maxBytes"/>.
    /// </summary>
    string? TryReserve(long jobId, long bytes, long maxBytes);

    /// <summary>
    /// Checks a finished fill of <paramref name="size"/> bytes against the cap before its blob is published. The job's
    /// reservation becomes <paramref name="size"/> and stays until <see cref="ICacheCatalog.CompleteFill"/> (which
    /// clears it in the same transaction as the artifact row) or <see cref="ICacheCatalog.FinishJob"/>. When
    /// <paramref name="newBlob"/> is false (identical bytes are stored already) it always fits.
    /// </summary>
    string? TryCommit(long jobId, long size, bool newBlob, long maxBytes);

    /// <summary>Drops a job's reservation (the fill failed or was cancelled).</summary>
    void Release(long jobId);

    /// <summary>The sum of the reservations of queued and running jobs on every host.</summary>
    long ReservedBytes();
}
