using Microsoft.Extensions.Options;
using Npgsql;
using WithCache.Server.Hosting;

namespace WithCache.Server.Catalog;

/// <summary>
/// Reads <c>--catalog</c>: a <c>postgres://user[:password]@host[:port]/database[?sslmode=...]</c> URL or an Npgsql
/// connection string, turned into an Npgsql connection string. The text may hold a password, so no message here
/// repeats it.
/// </summary>
internal static class CatalogLocation
{
    /// <summary>
    /// The catalog <paramref name="options"/> name: SQLite in the data dir (one host) when <c>--catalog</c> is empty,
    /// else the PostgreSQL database several hosts share.
    /// </summary>
    public static ICacheCatalog Open(IOptions<ServerOptions> options, ILoggerFactory loggers) =>
        string.IsNullOrWhiteSpace(options.Value.Catalog)
            ? new CacheDatabase(options)
            : new PostgresCatalog(options, loggers.CreateLogger<PostgresCatalog>());

    /// <summary>Null when <paramref name="text"/> names a PostgreSQL database; otherwise what is wrong with it.</summary>
    public static string? Validate(string text) => TryToConnectionString(text, out _, out var problem) ? null : problem;

    public static bool TryToConnectionString(string text, out string connectionString, out string problem)
    {
        connectionString = "";
        problem = "";
        text = text.Trim();
        if (text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            {
                problem = "expected postgres://user[:password]@host[:port]/database";
                return false;
            }

            var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
            if (database.Length == 0 || database.Contains('/', StringComparison.Ordinal))
            {
                problem = "the URL must name one database: postgres://user@host:5432/withcache";
                return false;
            }

            var builder = new NpgsqlConnectionStringBuilder
            {
                Host = uri.Host.Trim('[', ']'),
                Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
                Database = database,
            };
            var userInfo = uri.UserInfo;
            if (userInfo.Length > 0)
            {
                var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
                builder.Username = Uri.UnescapeDataString(colon < 0 ? userInfo : userInfo[..colon]);
                if (colon >= 0)
                {
                    builder.Password = Uri.UnescapeDataString(userInfo[(colon + 1)..]);
                }
            }

            foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                var name = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
                var value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..]);
                try
                {
                    builder[name] = value;
                }
                catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
                {
                    problem = $"unknown or malformed connection option '{name}'";
                    return false;
                }
            }

            connectionString = builder.ConnectionString;
            return true;
        }

        if (!text.Contains('=', StringComparison.Ordinal))
        {
            problem = "expected postgres://user[:password]@host[:port]/database or an Npgsql connection string (Host=...;Database=...)";
            return false;
        }

        try
        {
            var builder = new NpgsqlConnectionStringBuilder(text);
            if (string.IsNullOrEmpty(builder.Host))
            {
                problem = "the connection string has no Host";
                return false;
            }

            connectionString = builder.ConnectionString;
            return true;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or KeyNotFoundException)
        {
            problem = "not a valid Npgsql connection string";
            return false;
        }
    }
}
