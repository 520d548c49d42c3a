namespace WithCache.Server.Api;

/// <summary>A key asked for and not cached: how often, since when, until when.</summary>
internal sealed record MissItem(string Key, long Count, DateTimeOffset FirstSeen, DateTimeOffset LastSeen);
