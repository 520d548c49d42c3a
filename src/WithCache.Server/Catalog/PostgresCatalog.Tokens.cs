using Npgsql;

namespace WithCache.Server.Catalog;

/// <summary>
/// API tokens: only their SHA-256 is stored; a revoked row stays, so the list keeps its history. "One active token
/// per name" is a partial unique index here, so two hosts creating the same name at once cannot both succeed.
/// </summary>
internal sealed partial class PostgresCatalog
{
    private const string TokenColumns = "SELECT id, name, hash, created_at, last_used_at, revoked FROM api_tokens";

    /// <summary>Stores a new token's hash; null when an active token already has that name.</summary>
    public long? CreateApiToken(string name, string hash, DateTimeOffset now) => Run(connection =>
        Scalar(connection, """
            INSERT INTO api_tokens(name, hash, created_at) VALUES(@name, @hash, @now)
            ON CONFLICT (name) WHERE NOT revoked DO NOTHING RETURNING id
            """, Text("name", name), Text("hash", hash), Int8("now", now.ToUnixTimeMilliseconds())) is long id
            ? id
            : (long?)null);

    /// <summary>Every token, newest first (revoked ones included).</summary>
    public IReadOnlyList<ApiTokenRecord> ListApiTokens() => Run(connection => ReadAll(connection, CatalogRows.ReadApiToken, TokenColumns + " ORDER BY id DESC"));

    /// <summary>The tokens that still open the API.</summary>
    public IReadOnlyList<ApiTokenRecord> ListActiveApiTokens() =>
        Run(connection => ReadAll(connection, CatalogRows.ReadApiToken, TokenColumns + " WHERE NOT revoked ORDER BY id"));

    /// <summary>Revokes an active token; returns its name, or null when there is no such active token.</summary>
    public string? RevokeApiToken(long id) => Run(connection =>
        Scalar(connection, "UPDATE api_tokens SET revoked = true WHERE id = @id AND NOT revoked RETURNING name", Int8("id", id)) as string);

    public void TouchApiToken(long id, DateTimeOffset now) => Run(connection =>
        Execute(connection, "UPDATE api_tokens SET last_used_at = @now WHERE id = @id", Int8("id", id), Int8("now", now.ToUnixTimeMilliseconds())));
}
