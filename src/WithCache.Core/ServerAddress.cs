using System.Diagnostics.CodeAnalysis;

namespace WithCache.Core;

/// <summary>
/// Normalises a <c>WITHCACHE_SERVER</c> value: <c>host</c>, <c>host:port</c> or <c>http(s)://host[:port][/prefix]</c>.
/// A missing scheme means <c>http://</c>; surrounding white space and trailing <c>/</c> are dropped.
/// </summary>
public static class ServerAddress
{
    /// <summary>Returns the server base URL, or an error for a value that is empty or not an http(s) address.</summary>
    public static bool TryNormalize(
        string? value,
        [NotNullWhen(true)] out string? serverBase,
        [NotNullWhen(false)] out ProtocolError? error)
    {
        serverBase = null;
        var text = value?.Trim() ?? "";
        if (!text.Contains("://", StringComparison.Ordinal))
        {
            text = "http://" + text;
        }

        text = text.TrimEnd('/');
        if (!OriginUrl.TryParse(text, out var url, out error))
        {
            return false;
        }

        if (url.Query is not null || url.Fragment is not null)
        {
            error = new(ProtocolErrorKind.NotAbsoluteHttpUrl, "server address must not have a query or fragment");
            return false;
        }

        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                error = new(ProtocolErrorKind.NotAbsoluteHttpUrl, "server address contains white space");
                return false;
            }
        }

        serverBase = string.Concat(url.Scheme, text.AsSpan(text.IndexOf("://", StringComparison.Ordinal)));
        return true;
    }
}
