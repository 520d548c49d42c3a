namespace WithCache.Server.Api;

/// <summary>A download job; <c>state</c> is queued, running, completed, failed or cancelled; bytes are live while it runs.</summary>
internal sealed record JobItem(
    long Id,
    string Key,
    string State,
    long BytesDone,
    long? BytesTotal,
    string? Reason,
    bool PermanentFailure,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);
