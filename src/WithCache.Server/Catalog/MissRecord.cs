namespace WithCache.Server.Catalog;

internal sealed record MissRecord(string Key, string Origin, long Count, DateTimeOffset FirstSeen, DateTimeOffset LastSeen);
