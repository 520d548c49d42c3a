using System.Diagnostics.CodeAnalysis;

namespace WithCache.Core;

/// <summary>
/// The canonical origin a cached artifact is stored under: scheme and host lower-cased, a default port dropped,
/// an empty path made <c>/</c>, the fragment dropped and the query dropped unless the cache keeps queries. The
/// path is kept byte for byte. The only way to make one is <see cref="TryCreate"/> or <see cref="OriginUrl.ToKey"/>.
/// </summary>
public sealed record CacheKey
{
    internal CacheKey(string value) => Value = value;

    /// <summary>The canonical URL text.</summary>
    public string Value { get; }

    /// <summary>Canonicalises an origin as written; refuses what <see cref="OriginUrl.TryParse"/> refuses.</summary>
    public static bool TryCreate(
        string origin,
        bool keepQuery,
        [NotNullWhen(true)] out CacheKey? key,
        [NotNullWhen(false)] out ProtocolError? error)
    {
        if (!OriginUrl.TryParse(origin, out var url, out error))
        {
            key = null;
            return false;
        }

        key = url.ToKey(keepQuery);
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => Value;
}
