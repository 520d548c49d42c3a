using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace WithCache.Core;

/// <summary>
/// An absolute <c>http</c>/<c>https</c> origin URL split into its parts as written (RFC 3986 section 3), without
/// the normalisation <see cref="Uri"/> applies: the path and query stay byte for byte, because the token and the
/// file name the tools derive depend on the text exactly as the user typed it.
/// </summary>
public sealed record OriginUrl
{
    /// <summary>The longest origin accepted, in UTF-8 bytes. Real vendor URLs with signed queries stay far below it.</summary>
    public const int MaxBytes = 8192;

    private OriginUrl(string text, string scheme, string host, int? port, string path, string? query, string? fragment)
    {
        Text = text;
        Scheme = scheme;
        Host = host;
        Port = port;
        Path = path;
        Query = query;
        Fragment = fragment;
    }

    /// <summary>The URL exactly as written.</summary>
    public string Text { get; }

    /// <summary><c>http</c> or <c>https</c>, lower-cased.</summary>
    public string Scheme { get; }

    /// <summary>The host as written (brackets kept for an IPv6 literal).</summary>
    public string Host { get; }

    /// <summary>The explicit port, if one was written.</summary>
    public int? Port { get; }

    /// <summary>The path as written; empty when the URL has none.</summary>
    public string Path { get; }

    /// <summary>The query without its <c>?</c>; null when the URL has no <c>?</c>.</summary>
    public string? Query { get; }

    /// <summary>The fragment without its <c>#</c>; null when the URL has no <c>#</c>.</summary>
    public string? Fragment { get; }

    /// <summary>The last path segment as written (empty for an empty path or one that ends in <c>/</c>).</summary>
    public string LastSegment => Path[(Path.LastIndexOf('/') + 1)..];

    /// <summary>True when the path has a <c>.</c> or <c>..</c> segment, which curl and wget squash before sending.</summary>
    public bool HasDotSegments
    {
        get
        {
            foreach (var segment in Path.Split('/'))
            {
                if (segment is "." or ".." || segment.Equals("%2e", StringComparison.OrdinalIgnoreCase)
                    || segment.Equals("%2e%2e", StringComparison.OrdinalIgnoreCase)
                    || segment.Equals(".%2e", StringComparison.OrdinalIgnoreCase)
                    || segment.Equals("%2e.", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>The cache key: see <see cref="CacheKey"/>.</summary>
    public CacheKey ToKey(bool keepQuery)
    {
        var builder = new StringBuilder(Text.Length);
        builder.Append(Scheme).Append("://").Append(Host.ToLowerInvariant());
        var defaultPort = Scheme == "https" ? 443 : 80;
        if (Port is { } port && port != defaultPort)
        {
            builder.Append(':').Append(port.ToString(CultureInfo.InvariantCulture));
        }

        builder.Append(Path.Length == 0 ? "/" : Path);
        if (keepQuery && !string.IsNullOrEmpty(Query))
        {
            builder.Append('?').Append(Query);
        }

        return new CacheKey(builder.ToString());
    }

    /// <summary>Parses an absolute http(s) URL; refuses relative URLs, other schemes, userinfo and control characters.</summary>
    public static bool TryParse(
        string text,
        [NotNullWhen(true)] out OriginUrl? origin,
        [NotNullWhen(false)] out ProtocolError? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        origin = null;
        if (Encoding.UTF8.GetByteCount(text) > MaxBytes)
        {
            error = new(ProtocolErrorKind.TooLong, $"URL longer than {MaxBytes} bytes");
            return false;
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsControl(c))
            {
                error = NotHttp("URL contains control characters");
                return false;
            }

            // The token carries the URL's UTF-8 bytes, and a lone surrogate has none: encoding would put U+FFFD in
            // its place, and the cache would key a URL other than the one written.
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                error = new(ProtocolErrorKind.NotUtf8, "URL has a lone UTF-16 surrogate, which has no UTF-8 form");
                return false;
            }
        }

        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        var scheme = schemeEnd < 0 ? "" : text[..schemeEnd].ToLowerInvariant();
        if (scheme is not ("http" or "https"))
        {
            error = NotHttp("not an absolute http or https URL");
            return false;
        }

        var rest = text.AsSpan(schemeEnd + 3);
        var authorityEnd = rest.IndexOfAny('/', '?', '#');
        var authority = authorityEnd < 0 ? rest : rest[..authorityEnd];
        var afterAuthority = authorityEnd < 0 ? ReadOnlySpan<char>.Empty : rest[authorityEnd..];

        if (authority.Contains('@'))
        {
            error = new(ProtocolErrorKind.HasCredentials, "URL carries credentials (user@host)");
            return false;
        }

        if (!TrySplitAuthority(authority, out var host, out var port, out var reason))
        {
            error = NotHttp(reason);
            return false;
        }

        string? fragment = null;
        var hash = afterAuthority.IndexOf('#');
        if (hash >= 0)
        {
            fragment = afterAuthority[(hash + 1)..].ToString();
            afterAuthority = afterAuthority[..hash];
        }

        string? query = null;
        var question = afterAuthority.IndexOf('?');
        if (question >= 0)
        {
            query = afterAuthority[(question + 1)..].ToString();
            afterAuthority = afterAuthority[..question];
        }

        origin = new OriginUrl(text, scheme, host, port, afterAuthority.ToString(), query, fragment);
        error = null;
        return true;
    }

    private static bool TrySplitAuthority(ReadOnlySpan<char> authority, out string host, out int? port, out string reason)
    {
        host = "";
        port = null;
        ReadOnlySpan<char> hostPart;
        ReadOnlySpan<char> portPart = default;
        var hasPort = false;
        if (authority.StartsWith("["))
        {
            var close = authority.IndexOf(']');
            if (close < 0 || !IPAddress.TryParse(authority[1..close], out var address)
                || address.AddressFamily != AddressFamily.InterNetworkV6)
            {
                reason = "malformed IPv6 host";
                return false;
            }

            hostPart = authority[..(close + 1)];
            var after = authority[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':')
                {
                    reason = "malformed IPv6 host";
                    return false;
                }

                hasPort = true;
                portPart = after[1..];
            }
        }
        else
        {
            var colon = authority.LastIndexOf(':');
            hostPart = colon < 0 ? authority : authority[..colon];
            if (colon >= 0)
            {
                hasPort = true;
                portPart = authority[(colon + 1)..];
            }

            if (hostPart.IndexOfAny(" \"<>\\^`{|}%[]:") >= 0)
            {
                reason = "malformed host";
                return false;
            }
        }

        if (hostPart.Length == 0)
        {
            reason = "URL has no host";
            return false;
        }

        // RFC 3986 section 3.2.3: the port may be empty, meaning the scheme's default.
        if (hasPort && portPart.Length > 0)
        {
            if (portPart.Length > 5 || !int.TryParse(portPart, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
                || value is 0 or > 65535)
            {
                reason = "malformed port";
                return false;
            }

            port = value;
        }

        host = hostPart.ToString();
        reason = "";
        return true;
    }

    private static ProtocolError NotHttp(string reason) => new(ProtocolErrorKind.NotAbsoluteHttpUrl, reason);
}
