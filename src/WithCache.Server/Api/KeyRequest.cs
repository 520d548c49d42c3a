namespace WithCache.Server.Api;

/// <summary>An action on one cache key (as listed: scheme and host lower-case, no fragment, no query unless --keep-query).</summary>
internal sealed record KeyRequest(string? Key);
