using System.Globalization;
using System.Text;
using CsCheck;
using WithCache.Core.Tests.TestSupport;

namespace WithCache.Core.Tests;

/// <summary>
/// Generated-input properties of the protocol (DESIGN.md "Wire protocol"). CsCheck prints the seed of a failure;
/// set <c>CsCheck_Seed</c> to replay it.
/// </summary>
public sealed class PropertyTests
{
    [Fact]
    public void Encode_ValidOrigin_ParsesIntoItsPartsAndDecodesToTheSameText()
    {
        OriginGen.Origin.Sample(generated =>
        {
            var text = generated.Text;
            Assert.True(OriginUrl.TryParse(text, out var url, out var error), error?.Reason);
            Assert.Equal(text, url.Text);
            Assert.Equal(generated.Scheme.ToLowerInvariant(), url.Scheme);
            Assert.Equal(generated.Host, url.Host);
            Assert.Equal(generated.Port, url.Port);
            Assert.Equal(generated.Path, url.Path);
            Assert.Equal(generated.Query, url.Query);
            Assert.Equal(generated.Fragment, url.Fragment);

            var token = OriginToken.Encode(text);
            Assert.True(token.All(IsBase64UrlChar), token);
            Assert.True(OriginToken.TryDecode(token, out var decoded, out error), error?.Reason);
            Assert.Equal(text, decoded);
        }, iter: 5000);
    }

    // Whatever TryParse accepts is an origin the protocol can carry: within the limit, and its token decodes back.
    [Fact]
    public void TryParse_AnyText_AcceptsOnlyWhatRoundTripsAndRefusesWithAReason()
    {
        OriginGen.AnyText.Sample(text =>
        {
            if (!OriginUrl.TryParse(text, out var url, out var error))
            {
                AssertRefusal(error);
                return;
            }

            Assert.Equal(text, url.Text);
            Assert.True(Encoding.UTF8.GetByteCount(text) <= OriginUrl.MaxBytes);
            Assert.True(url.Scheme is "http" or "https", url.Scheme);
            Assert.NotEmpty(url.Host);
            Assert.True(url.Port is null or (>= 1 and <= 65535));
            Assert.EndsWith(url.Path + Suffix('?', url.Query) + Suffix('#', url.Fragment), text, StringComparison.Ordinal);

            var token = OriginToken.Encode(text);
            Assert.True(OriginToken.TryDecode(token, out var decoded, out error), error?.Reason);
            Assert.Equal(text, decoded);
        }, iter: 20_000, print: OriginGen.Escape);
    }

    // Strict unpadded base64url: every token accepted is the one encoding of the text it decodes to.
    [Fact]
    public void TryDecode_AnyText_AcceptsOnlyCanonicalTokensAndRefusesWithAReason()
    {
        OriginGen.TokenText.Sample(token =>
        {
            if (OriginToken.TryDecode(token, out var origin, out var error))
            {
                Assert.Equal(token, OriginToken.Encode(origin));
            }
            else
            {
                AssertRefusal(error);
            }
        }, iter: 20_000, print: OriginGen.Escape);
    }

    [Fact]
    public void TryNormalize_AnyText_GivesABaseThatNormalizesToItself()
    {
        OriginGen.ServerValue.Null(0.02).Sample(value =>
        {
            if (!ServerAddress.TryNormalize(value, out var serverBase, out var error))
            {
                AssertRefusal(error);
                return;
            }

            Assert.True(OriginUrl.TryParse(serverBase, out var url, out error), error?.Reason);
            Assert.Null(url.Query);
            Assert.Null(url.Fragment);
            Assert.StartsWith(url.Scheme + "://", serverBase, StringComparison.Ordinal);
            Assert.False(serverBase.EndsWith('/'), serverBase);
            Assert.DoesNotContain(serverBase, char.IsWhiteSpace);
            Assert.True(ServerAddress.TryNormalize(serverBase, out var again, out error), error?.Reason);
            Assert.Equal(serverBase, again);
        }, iter: 10_000, print: OriginGen.Escape);
    }

    // The fetch URL carries the token right after "<server>/b/", and keeps the origin's last segment and query as
    // written, so that curl -O and wget name the file as they would from the origin.
    [Fact]
    public void Build_ValidOrigin_FetchUrlCarriesTheTokenNameAndQuery()
    {
        var servers = OriginGen.ServerValue.Where(value => ServerAddress.TryNormalize(value, out _, out _));
        Gen.Select(servers, OriginGen.Origin).Sample((serverValue, generated) =>
        {
            Assert.True(ServerAddress.TryNormalize(serverValue, out var serverBase, out _));
            Assert.True(OriginUrl.TryParse(generated.Text, out var origin, out _));

            var fetch = FetchUrl.Build(serverBase, origin);

            var prefix = serverBase + FetchUrl.RoutePrefix;
            Assert.StartsWith(prefix, fetch, StringComparison.Ordinal);
            var rest = fetch[prefix.Length..];
            var token = rest[..rest.IndexOf('/', StringComparison.Ordinal)];
            Assert.True(OriginToken.TryDecode(token, out var decoded, out var error), error?.Reason);
            Assert.Equal(generated.Text, decoded);
            Assert.Equal("/" + origin.LastSegment + Suffix('?', origin.Query), rest[token.Length..]);

            // What the tools read: the first '?' starts the query (neither token nor name holds one), and the name
            // is what follows the last '/' before it. The fetch URL is not held to OriginUrl.MaxBytes: a long server
            // prefix and the token's 4/3 make it longer than the origin.
            var question = fetch.IndexOf('?', StringComparison.Ordinal);
            var path = question < 0 ? fetch : fetch[..question];
            Assert.Equal(origin.LastSegment, path[(path.LastIndexOf('/') + 1)..]);
            Assert.Equal(origin.Query, question < 0 ? null : fetch[(question + 1)..]);
        }, iter: 5000, print: pair => $"({OriginGen.Escape(pair.Item1)}, {pair.Item2})");
    }

    // DESIGN.md "Key": the fragment never counts, the query counts only under --keep-query (an empty one never),
    // scheme and host case do not count, nor an explicit default port, and an empty path is "/".
    [Fact]
    public void ToKey_SameOriginWrittenDifferently_GivesTheSameKey()
    {
        Gen.Select(OriginGen.Origin, Gen.Bool, Gen.Int[0, 3], Gen.Int[0, 3], Gen.Int[0, 3]).Sample((generated, keepQuery, portForm, query, fragment) =>
        {
            var variant = generated with
            {
                Scheme = FlipAsciiCase(generated.Scheme),
                Host = FlipAsciiCase(generated.Host),
                PortText = IsDefaultPort(generated) ? new[] { null, "", DefaultPort(generated), "0" + DefaultPort(generated) }[portForm] : generated.PortText,
                Path = generated.Path.Length == 0 ? "/" : generated.Path,
                Query = keepQuery ? (generated.Query is "" ? null : generated.Query) : new[] { null, "", "x=1", generated.Query }[query],
                Fragment = new[] { null, "", "other", generated.Fragment }[fragment],
            };

            Assert.Equal(KeyOf(generated.Text, keepQuery), KeyOf(variant.Text, keepQuery));
        }, iter: 5000);
    }

    // A key is the canonical origin: read back as an origin, it is its own key; and the same text always gives the same key.
    [Fact]
    public void ToKey_Key_IsItsOwnKey()
    {
        Gen.Select(OriginGen.Origin, Gen.Bool).Sample((generated, keepQuery) =>
        {
            var key = KeyOf(generated.Text, keepQuery);

            Assert.Equal(key, KeyOf(generated.Text, keepQuery));
            Assert.True(CacheKey.TryCreate(key.Value, keepQuery, out var again, out var error), error?.Reason);
            Assert.Equal(key, again);
        }, iter: 5000);
    }

    // Origins from a small pool, so that equal and unequal keys both come up: two keys are equal exactly when the
    // parts the key keeps are equal, so one artifact is never served for another.
    [Fact]
    public void ToKey_TwoOrigins_EqualKeysExactlyWhenTheKeptPartsAreEqual()
    {
        var origin = Gen.Select(
            Gen.OneOf("http", "https", "HTTP"),
            Gen.OneOf("h", "H", "h.example", "[::1]"),
            Gen.OneOf<string?>(null, "", "80", "443", "8080", "08080"),
            Gen.OneOf("", "/", "/a", "/A", "/a/", "/a%2f"),
            Gen.OneOf<string?>(null, "", "q", "Q"),
            Gen.OneOf<string?>(null, "", "f"),
            (scheme, host, port, path, query, fragment) => new GeneratedOrigin(scheme, host, port, path, query, fragment));
        Gen.Select(origin, origin, Gen.Bool).Sample((a, b, keepQuery) =>
        {
            var samePart = KeptParts(a, keepQuery) == KeptParts(b, keepQuery);

            Assert.Equal(samePart, KeyOf(a.Text, keepQuery) == KeyOf(b.Text, keepQuery));
        }, iter: 5000);
    }

    private static void AssertRefusal(ProtocolError error)
    {
        Assert.True(Enum.IsDefined(error.Kind), $"undefined kind {(int)error.Kind}");
        Assert.False(string.IsNullOrWhiteSpace(error.Reason), "empty reason");
        Assert.True(error.Reason.AsSpan().IndexOfAny("\r\n\u0085\u2028\u2029") < 0, "reason spans lines: " + OriginGen.Escape(error.Reason));
    }

    private static CacheKey KeyOf(string text, bool keepQuery)
    {
        Assert.True(CacheKey.TryCreate(text, keepQuery, out var key, out var error), error?.Reason);
        return key;
    }

    private static (string Scheme, string Host, int? Port, string Path, string? Query) KeptParts(GeneratedOrigin origin, bool keepQuery) =>
        (origin.Scheme.ToLowerInvariant(),
            origin.Host.ToLowerInvariant(),
            IsDefaultPort(origin) ? null : origin.Port,
            origin.Path.Length == 0 ? "/" : origin.Path,
            keepQuery && !string.IsNullOrEmpty(origin.Query) ? origin.Query : null);

    private static bool IsDefaultPort(GeneratedOrigin origin) =>
        origin.Port is null || origin.Port.Value.ToString(CultureInfo.InvariantCulture) == DefaultPort(origin);

    private static string DefaultPort(GeneratedOrigin origin) =>
        origin.Scheme.Equals("https", StringComparison.OrdinalIgnoreCase) ? "443" : "80";

    private static string FlipAsciiCase(string text) =>
        string.Create(text.Length, text, (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                var c = source[i];
                span[i] = char.IsAsciiLetterLower(c) ? char.ToUpperInvariant(c) : char.IsAsciiLetterUpper(c) ? char.ToLowerInvariant(c) : c;
            }
        });

    private static string Suffix(char separator, string? part) => part is null ? "" : separator + part;

    private static bool IsBase64UrlChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';
}
