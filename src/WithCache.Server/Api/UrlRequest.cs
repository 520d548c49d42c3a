namespace WithCache.Server.Api;

/// <summary>A URL to download into the cache now.</summary>
internal sealed record UrlRequest(string? Url);
