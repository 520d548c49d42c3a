namespace WithCache.Server.Api;

/// <summary>A cached artifact. The origin URL is not shown: its query may carry a signed token.</summary>
internal sealed record ArtifactItem(string Key, string Sha256, long Size, DateTimeOffset FetchedAt, long Hits, long MissesBefore);
