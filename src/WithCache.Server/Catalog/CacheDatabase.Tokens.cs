namespace WithCache.Server.Catalog;

/// <summary>API tokens: only their SHA-256 is stored; a revoked row stays, so the list keeps its history.</summary>
internal sealed partial class CacheDatabase
{
    private const string TokenColumns = "SELECT id, name, hash, created_at, last_used_at, revoked FROM api_tokens";

    /// <summary>Stores a new token's hash; null when an active token already has that name.</summary>
    public long? CreateApiToken(string name, string hash, DateTimeOffset now)
    {
        lock (_writeLock)
        {
            using var connection = Open();
            using var transaction = connection.BeginTransaction();
            using var taken = Command(connection, "SELECT count(*) FROM api_tokens WHERE name = $name AND revoked = 0", ("$name", name));
            taken.Transaction = transaction;
            if ((long)taken.ExecuteScalar()! > 0)
            {
                return null;
            }

            using var insert = Command(connection, "INSERT INTO api_tokens(name, hash, created_at) VALUES($name, $hash, $now) RETURNING id",
                ("$name", name), ("$hash", hash), ("$now", now.ToUnixTimeMilliseconds()));
            insert.Transaction = transaction;
            var id = (long)insert.ExecuteScalar()!;
            transaction.Commit();
            return id;
        }
    }

    /// <summary>Every token, newest first (revoked ones included).</summary>
    public IReadOnlyList<ApiTokenRecord> ListApiTokens()
    {
        using var connection = Open();
        using var command = Command(connection, TokenColumns + " ORDER BY id DESC");
        return ReadAll(command, CatalogRows.ReadApiToken);
    }

    /// <summary>The tokens that still open the API.</summary>
    public IReadOnlyList<ApiTokenRecord> ListActiveApiTokens()
    {
        using var connection = Open();
        using var command = Command(connection, TokenColumns + " WHERE revoked = 0");
        return ReadAll(command, CatalogRows.ReadApiToken);
    }

    /// <summary>Revokes an active token; returns its name, or null when there is no such active token.</summary>
    public string? RevokeApiToken(long id)
    {
        lock (_writeLock)
        {
            using var connection = Open();
            using var command = Command(connection, "UPDATE api_tokens SET revoked = 1 WHERE id = $id AND revoked = 0 RETURNING name", ("$id", id));
            return command.ExecuteScalar() as string;
        }
    }

    public void TouchApiToken(long id, DateTimeOffset now)
    {
        lock (_writeLock)
        {
            using var connection = Open();
            Execute(connection, null, "UPDATE api_tokens SET last_used_at = $now WHERE id = $id", ("$id", id), ("$now", now.ToUnixTimeMilliseconds()));
        }
    }
}
