namespace WithCache.Server.Api;

/// <summary>What an action did: its subject (a cache key, or "job 12") and a one-line message.</summary>
internal sealed record ActionAnswer(string Subject, string Message);
