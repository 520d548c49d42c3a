namespace WithCache.Core;

/// <summary>Why a token, origin URL or server address was refused.</summary>
public enum ProtocolErrorKind
{
    /// <summary>The token uses characters outside the RFC 4648 section 5 alphabet, or has an impossible length.</summary>
    NotBase64Url,

    /// <summary>The token's bytes are not well-formed UTF-8, or the URL's text has no UTF-8 form (a lone surrogate).</summary>
    NotUtf8,

    /// <summary>The text is not an absolute <c>http</c> or <c>https</c> URL with a host.</summary>
    NotAbsoluteHttpUrl,

    /// <summary>The URL or token is longer than the protocol allows.</summary>
    TooLong,

    /// <summary>The URL carries credentials (userinfo), which must never reach the cache.</summary>
    HasCredentials,
}
