namespace WithCache.Server.Downloads;

/// <summary>Live progress of a running job, kept in memory (the catalog gets it every few seconds).</summary>
internal sealed record JobProgress(long BytesDone, long? BytesTotal, DateTimeOffset StartedAt);
