using WithCache.Core;

namespace WithCache.Server.Downloads;

/// <summary>A queued fill: the job row's id, the key it fills and the origin to fetch (as first asked, query included).</summary>
internal sealed record DownloadRequest(long JobId, CacheKey Key, OriginUrl Origin);
