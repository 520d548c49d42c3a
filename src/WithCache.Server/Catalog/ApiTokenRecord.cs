namespace WithCache.Server.Catalog;

/// <summary>An API token as the catalog keeps it: a name and the SHA-256 of the token, never the token itself.</summary>
internal sealed record ApiTokenRecord(long Id, string Name, string Hash, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, bool Revoked);
