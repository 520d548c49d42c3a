using WithCache.Core;

namespace WithCache.Server.Downloads;

/// <summary>
/// A queued fill: the job row's id, the key it fills and the origin to fetch (as first asked, query included);
/// after a restart, the temp file and checkpoint a fill interrupted by the shutdown resumes from.
/// </summary>
internal sealed record DownloadRequest(long JobId, CacheKey Key, OriginUrl Origin, string? TempFile = null, FetchCheckpoint? ResumeFrom = null);
