namespace WithCache.Server.Catalog;

internal sealed record JobRecord(
    long Id,
    string Key,
    string Origin,
    JobState State,
    long BytesDone,
    long? BytesTotal,
    string? Reason,
    bool PermanentFailure,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? TempFile = null,
    string? Validator = null);
