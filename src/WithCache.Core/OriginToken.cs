using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Unicode;

namespace WithCache.Core;

/// <summary>
/// The <c>/b/&lt;token&gt;/</c> token: base64url (RFC 4648 section 5) of the origin's UTF-8 bytes exactly as the
/// user wrote it, without padding.
/// </summary>
public static class OriginToken
{
    /// <summary>The longest token that can carry an origin of <see cref="OriginUrl.MaxBytes"/> bytes.</summary>
    public static readonly int MaxLength = Base64Url.GetEncodedLength(OriginUrl.MaxBytes);

    /// <summary>Encodes an origin URL as written.</summary>
    public static string Encode(string origin)
    {
        ArgumentNullException.ThrowIfNull(origin);
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(origin));
    }

    /// <summary>Decodes a token to the origin text; refuses anything that is not strict unpadded base64url of UTF-8.</summary>
    public static bool TryDecode(
        string token,
        [NotNullWhen(true)] out string? origin,
        [NotNullWhen(false)] out ProtocolError? error)
    {
        ArgumentNullException.ThrowIfNull(token);
        origin = null;
        if (token.Length == 0)
        {
            error = new(ProtocolErrorKind.NotBase64Url, "empty token");
            return false;
        }

        if (token.Length > MaxLength)
        {
            error = new(ProtocolErrorKind.TooLong, $"token longer than {MaxLength} characters");
            return false;
        }

        foreach (var c in token)
        {
            if (!IsBase64UrlChar(c))
            {
                error = new(ProtocolErrorKind.NotBase64Url, "token is not unpadded base64url (RFC 4648 section 5)");
                return false;
            }
        }

        // A single leftover character carries only 6 bits: no byte can end there.
        if (token.Length % 4 == 1)
        {
            error = new(ProtocolErrorKind.NotBase64Url, "token has an impossible base64url length");
            return false;
        }

        // The unused low bits of the last character must be zero (RFC 4648 section 3.5): otherwise the token is not
        // the encoding of any text ("QR" for "A" is "QQ"). Only the status-returning decoder says so; the others throw.
        var buffer = new byte[Base64Url.GetMaxDecodedLength(token.Length)];
        if (Base64Url.DecodeFromChars(token, buffer, out _, out var written) != OperationStatus.Done)
        {
            error = new(ProtocolErrorKind.NotBase64Url, "token is not canonical base64url (its last character has bits left over)");
            return false;
        }

        var bytes = buffer.AsSpan(0, written);
        if (!Utf8.IsValid(bytes))
        {
            error = new(ProtocolErrorKind.NotUtf8, "token does not decode to UTF-8");
            return false;
        }

        origin = Encoding.UTF8.GetString(bytes);
        error = null;
        return true;
    }

    private static bool IsBase64UrlChar(char c) =>
        c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_';
}
