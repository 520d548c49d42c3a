namespace WithCache.Server.Catalog;

/// <summary>Misses of one key counted in memory since the last flush.</summary>
internal sealed record MissDelta(string Key, string Origin, long Count, DateTimeOffset FirstSeen, DateTimeOffset LastSeen);
