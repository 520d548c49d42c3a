using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using WithCache.Server.Api;
using WithCache.Server.Audit;
using WithCache.Server.Catalog;
using WithCache.Server.Operations;

namespace WithCache.Server.Ui.Auth;

/// <summary>
/// The API's bearer tokens: the one from <c>WITHCACHE_API_TOKEN</c> (named <see cref="EnvName"/>) and those created
/// in the UI. A token is 32 random bytes, shown once; the catalog keeps only its SHA-256, which is enough because
/// the token has no guessable structure to brute-force. A token is never logged nor put in the audit log.
/// </summary>
internal sealed class ApiTokens
{
    public const string EnvName = "env";
    public const int MaxNameLength = 64;
    private const string Prefix = "wc_";

    /// <summary>How stale <c>last_used_at</c> may get, so a busy script does not write to the catalog at every request.</summary>
    private static readonly TimeSpan TouchInterval = TimeSpan.FromMinutes(1);

    private readonly ICacheCatalog _database;
    private readonly AuditLog _audit;
    private readonly TimeProvider _time;
    private readonly byte[]? _envHash;

    public ApiTokens(ICacheCatalog database, AuditLog audit, TimeProvider time, IOptions<ApiOptions> options)
    {
        _database = database;
        _audit = audit;
        _time = time;
        _envHash = string.IsNullOrEmpty(options.Value.Token) ? null : Hash(options.Value.Token);
    }

    public bool HasEnvToken => _envHash is not null;

    public IReadOnlyList<ApiTokenRecord> List() => _database.ListApiTokens();

    /// <summary>Creates a token; the result carries it, the only time it is ever seen.</summary>
    public (OperationResult Result, string? Token) Create(string? name)
    {
        name = name?.Trim();
        if (!IsValidName(name))
        {
            return (OperationResult.Invalid($"a name is 1 to {MaxNameLength} letters, digits, '.', '-' or '_'"), null);
        }

        if (name == EnvName)
        {
            return (OperationResult.Invalid($"'{EnvName}' is the name of the WITHCACHE_API_TOKEN token"), null);
        }

        var token = Prefix + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        if (_database.CreateApiToken(name, Convert.ToHexStringLower(Hash(token)), _time.GetUtcNow()) is null)
        {
            return (OperationResult.Invalid($"a token named '{name}' already exists; revoke it first"), null);
        }

        _audit.Record(AuditActions.TokenCreated, name, "created");
        return (OperationResult.Ok($"token '{name}' created"), token);
    }

    public OperationResult Revoke(long id)
    {
        if (_database.RevokeApiToken(id) is not { } name)
        {
            return OperationResult.NotFound("no such active token");
        }

        _audit.Record(AuditActions.TokenRevoked, name, "revoked");
        return OperationResult.Ok($"token '{name}' revoked");
    }

    /// <summary>The name of the active token <paramref name="candidate"/> is, or null.</summary>
    public string? FindName(string candidate)
    {
        // Every hash is compared, in constant time each, whichever matches: the time taken says nothing about the tokens.
        var hash = Hash(candidate);
        string? name = null;
        if (_envHash is not null && CryptographicOperations.FixedTimeEquals(hash, _envHash))
        {
            name = EnvName;
        }

        ApiTokenRecord? match = null;
        foreach (var token in _database.ListActiveApiTokens())
        {
            if (CryptographicOperations.FixedTimeEquals(hash, Convert.FromHexString(token.Hash)))
            {
                match = token;
            }
        }

        if (match is not null)
        {
            var now = _time.GetUtcNow();
            if (match.LastUsedAt is not { } used || now - used >= TouchInterval)
            {
                _database.TouchApiToken(match.Id, now);
            }

            name ??= match.Name;
        }

        return name;
    }

    public static bool IsValidName([NotNullWhen(true)] string? name) =>
        name is { Length: > 0 and <= MaxNameLength } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
