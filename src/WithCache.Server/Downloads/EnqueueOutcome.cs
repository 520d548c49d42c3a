namespace WithCache.Server.Downloads;

internal enum EnqueueOutcome
{
    /// <summary>A new job was queued.</summary>
    Queued,

    /// <summary>The key already has a queued or running job; this request joins it.</summary>
    AlreadyActive,

    /// <summary>The key is already cached.</summary>
    AlreadyCached,

    /// <summary>The key's last fill failed for good and its back-off has not passed.</summary>
    BackedOff,

    /// <summary>The fetch policy refuses the origin (scheme, host allow-list).</summary>
    Refused,

    /// <summary>Too many jobs are waiting; the miss stays counted and a later one queues it.</summary>
    QueueFull,

    /// <summary>The asking client has started its allowance of new fills for now (see AutoFillLimiter).</summary>
    Throttled,
}
