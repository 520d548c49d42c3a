namespace WithCache.Server.Downloads;

/// <summary>
/// Where an interrupted fill stopped, kept across a restart: the bytes already in its temp file, the full length,
/// and the <c>If-Range</c> validator (a strong ETag or an HTTP date) that makes continuing with <c>Range</c> safe.
/// </summary>
internal sealed record FetchCheckpoint(long Bytes, long? Total, string Validator);
