using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Text;
using CsCheck;

namespace WithCache.Core.Tests.TestSupport;

/// <summary>
/// CsCheck generators for origin URLs as people write them (RFC 3986 parts, <c>%XX</c>, text outside ASCII), and for
/// text that is nearly one, or nothing like one: what a shim's argv, a request path or a <c>url=</c> value may hold.
/// </summary>
public static class OriginGen
{
    private const string Letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private const string Digits = "0123456789";
    private const string Unreserved = Letters + Digits + "-._~";
    private const string SubDelims = "!$&'()*+,;=";
    private const string Hex = "0123456789abcdefABCDEF";
    private const string Base64UrlAlphabet = Letters + Digits + "-_";

    // Text outside ASCII as vendor paths and IDN hosts have it: accents, Cyrillic, CJK, a pair of surrogates, and
    // letters whose lower case is ASCII (U+0130, U+212A KELVIN SIGN).
    private static readonly string[] NonAscii = ["é", "ü", "ß", "ф", "файл", "中文", "例え", "😀", "🚀", "İ", "\u212A", "Ä"];

    /// <summary>Every UTF-16 code unit, lone surrogates and control characters included.</summary>
    public static readonly Gen<char> AnyChar = Gen.Char['\0', '\uffff'];

    public static readonly Gen<string> Scheme = Gen.OneOf("http", "https", "HTTP", "Https", "hTtPs");

    public static readonly Gen<string> Host = Gen.Frequency(
        (6, RegName()),
        (2, Gen.Byte.Array[4].Select(bytes => string.Join('.', bytes))),
        (2, Gen.Select(Gen.Byte.Array[16], Gen.Bool, (bytes, upper) => Bracketed(new IPAddress(bytes), upper))),
        (1, Gen.OneOf("[::1]", "[::]", "[2001:DB8::1]", "localhost")));

    public static readonly Gen<string?> PortText = Gen.Frequency(
        (4, Gen.Const((string?)null)),
        (1, Gen.Const<string?>("")),
        (1, Gen.OneOf<string?>("80", "443", "080", "00443")),
        (4, Gen.Int[1, 65535].Select(port => (string?)port.ToString(CultureInfo.InvariantCulture))),
        (1, Gen.Int[1, 9999].Select(port => (string?)port.ToString("D5", CultureInfo.InvariantCulture))));

    /// <summary>Path, query and fragment characters: pchar (RFC 3986 section 3.3), <c>%XX</c>, text outside ASCII, a rare space.</summary>
    private static readonly Gen<string> Piece = Gen.Frequency(
        (8, Gen.String[Gen.Char[Unreserved + SubDelims + ":@"], 1, 8]),
        (2, Gen.Select(Gen.Char[Hex], Gen.Char[Hex], (high, low) => string.Concat("%", high.ToString(), low.ToString()))),
        (2, Gen.OneOf(NonAscii)),
        (1, Gen.OneOf(" ", ".", "..", "%2e", "%2E%2e")));

    public static readonly Gen<string> Path = Gen.Frequency(
        (1, Gen.Const("")),
        (1, Gen.Const("/")),
        (6, Piece.Array[0, 4].Select(string.Concat).Array[1, 5].Select(segments => "/" + string.Join('/', segments))));

    private static readonly Gen<string?> QueryOrFragment = Gen.Frequency(
        (3, Gen.Const((string?)null)),
        (1, Gen.Const<string?>("")),
        (3, Gen.Frequency((5, Piece), (1, Gen.OneOf("/", "?", "&", "="))).Array[1, 8].Select(pieces => (string?)string.Concat(pieces))));

    public static readonly Gen<GeneratedOrigin> Origin =
        Gen.Select(Scheme, Host, PortText, Path, QueryOrFragment, QueryOrFragment,
            (scheme, host, port, path, query, fragment) => new GeneratedOrigin(scheme, host, port, path, query, fragment));

    /// <summary>A valid origin with one character inserted, replaced or removed, or cut short.</summary>
    public static readonly Gen<string> MutatedOrigin = Mutated(Origin.Select(origin => origin.Text), AnyChar);

    /// <summary>Anything at all: random UTF-16 (lone surrogates too), bytes read as Latin-1, URL punctuation, near misses.</summary>
    public static readonly Gen<string> AnyText = Gen.Frequency(
        (2, Gen.String[AnyChar, 0, 40]),
        (2, Gen.Byte.Array[0, 60].Select(Encoding.Latin1.GetString)),
        (2, Gen.Select(Gen.OneOf("", "http://", "https://", "HTTP://", "http:/", "//", "ftp://", "http://user@"),
            Gen.String[Gen.Char[":/?#[]@!$&'()*+,;=%-._~ \t\r\n\0\u007f\u0085Ahp0189é"], 0, 30], string.Concat)),
        (3, MutatedOrigin),
        (1, Gen.Select(Gen.Int[-3, 3], Gen.Bool, LongOrigin)));

    /// <summary>Token-like text: the base64url alphabet with padding, <c>+</c>, <c>/</c>, white space and <c>%</c> mixed in, and mutated tokens.</summary>
    public static readonly Gen<string> TokenText = Gen.Frequency(
        (2, Gen.String[Gen.Char[Base64UrlAlphabet + "=+/ \t%."], 0, 40]),
        (2, Gen.Byte.Array[0, 40].Select(bytes => Base64Url.EncodeToString(bytes))),
        (2, Mutated(Gen.Byte.Array[1, 40].Select(bytes => Base64Url.EncodeToString(bytes)), Gen.Char[Base64UrlAlphabet + "=+/"])),
        (2, Mutated(Origin.Select(origin => OriginToken.Encode(origin.Text)), Gen.Char[Base64UrlAlphabet + "=+/ "])),
        (1, Gen.String[AnyChar, 0, 20]),
        (1, Gen.Int[-4, 4].Select(delta => new string('A', OriginToken.MaxLength + delta))));

    /// <summary><c>WITHCACHE_SERVER</c>-like values: host, host:port, a URL with a prefix, surrounding white space, slashes.</summary>
    public static readonly Gen<string> ServerValue = Gen.Frequency(
        (4, Gen.Select(
            Gen.OneOf("", "", "http://", "https://", "HTTP://", "ftp://", "://"),
            Host,
            PortText,
            Gen.OneOf("", "", "/", "//", "/withcache", "/withcache/", "/a b", "?x=1", "#f"),
            Gen.OneOf("", "", " ", "\t", "\n", " \r\n"),
            (scheme, host, port, tail, space) => string.Concat(space, scheme, host, port is null ? "" : ":" + port, tail, space))),
        (3, AnyText));

    /// <summary>A printable, unambiguous form of a generated text for a failure message.</summary>
    public static string Escape(string? text)
    {
        if (text is null)
        {
            return "null";
        }

        var builder = new StringBuilder("\"");
        foreach (var c in text)
        {
            if (c is < ' ' or '"' or '\\' or (>= '\u007f' and <= '\u009f') || char.IsSurrogate(c) || c > '\u2000')
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.Append('"').ToString();
    }

    private static Gen<string> RegName() =>
        Gen.Frequency(
            (6, Gen.String[Gen.Char[Letters + Digits + "-"], 1, 12]),
            (1, Gen.OneOf(NonAscii)),
            (1, Gen.String[Gen.Char[Unreserved + SubDelims], 1, 6]))
        .Array[1, 4]
        .Select(labels => string.Join('.', labels));

    private static string Bracketed(IPAddress address, bool upper)
    {
        var text = address.ToString();
        return "[" + (upper ? text.ToUpperInvariant() : text) + "]";
    }

    // An origin of about MaxBytes UTF-8 bytes (delta from the limit), in one-byte or two-byte characters.
    private static string LongOrigin(int delta, bool twoByte)
    {
        const string Prefix = "https://h.example/";
        var bytes = OriginUrl.MaxBytes - Prefix.Length + delta;
        return twoByte
            ? Prefix + new string('é', bytes / 2) + (bytes % 2 == 1 ? "a" : "")
            : Prefix + new string('a', bytes);
    }

    private static Gen<string> Mutated(Gen<string> texts, Gen<char> chars) =>
        Gen.Select(texts, Gen.Int[0, 3], Gen.Int[0, int.MaxValue], chars, (text, operation, at, c) =>
        {
            var i = text.Length == 0 ? 0 : at % text.Length;
            return operation switch
            {
                0 => text.Insert(i, c.ToString()),
                1 when text.Length > 0 => string.Concat(text.AsSpan(0, i), c.ToString(), text.AsSpan(i + 1)),
                2 when text.Length > 0 => text.Remove(i, 1),
                _ => text[..i],
            };
        });
}
