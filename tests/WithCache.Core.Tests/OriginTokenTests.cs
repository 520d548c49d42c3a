using System.Text;

namespace WithCache.Core.Tests;

public sealed class OriginTokenTests
{
    [Theory]
    [InlineData("", ProtocolErrorKind.NotBase64Url)]
    [InlineData("aHR0cDovL2V4YW1wbGUuY29tLw==", ProtocolErrorKind.NotBase64Url)] // padded
    [InlineData("aHR0cDovL2V4YW1wbGUuY29tLw+", ProtocolErrorKind.NotBase64Url)] // standard alphabet
    [InlineData("aHR0cDovL2V4YW1wbGUuY29tLw/", ProtocolErrorKind.NotBase64Url)]
    [InlineData("aHR0cDov L2V4", ProtocolErrorKind.NotBase64Url)]
    [InlineData("aHR0c", ProtocolErrorKind.NotBase64Url)] // 5 chars: a lone 6-bit group
    [InlineData("%41%42", ProtocolErrorKind.NotBase64Url)]
    [InlineData("QR", ProtocolErrorKind.NotBase64Url)] // leftover bits set: "A" is "QQ" (threw FormatException)
    [InlineData("aH", ProtocolErrorKind.NotBase64Url)]
    [InlineData("QUJ", ProtocolErrorKind.NotBase64Url)] // "AB" is "QUI"
    [InlineData("_w", ProtocolErrorKind.NotUtf8)] // 0xFF
    [InlineData("wCg", ProtocolErrorKind.NotUtf8)] // 0xC0 0x0A: overlong start
    [InlineData("7aCA", ProtocolErrorKind.NotUtf8)] // ED A0 80: a UTF-16 surrogate in UTF-8
    public void TryDecode_Malformed_RefusesWithKind(string token, ProtocolErrorKind kind)
    {
        Assert.False(OriginToken.TryDecode(token, out var origin, out var error));
        Assert.Null(origin);
        Assert.Equal(kind, error.Kind);
        Assert.DoesNotContain('\n', error.Reason);
    }

    [Fact]
    public void TryDecode_LongerThanLimit_RefusesAsTooLong()
    {
        var token = new string('A', OriginToken.MaxLength + 4);

        Assert.False(OriginToken.TryDecode(token, out _, out var error));
        Assert.Equal(ProtocolErrorKind.TooLong, error.Kind);
    }

    [Theory]
    [InlineData("https://example.com/ünïcødé/файл.zip")]
    [InlineData("https://example.com/😀/emoji.bin?q=✓")]
    [InlineData("http://h/a")]
    [InlineData("http://h/ab")]
    [InlineData("http://h/abc")]
    public void Encode_AnyOrigin_RoundTripsWithoutPadding(string origin)
    {
        var token = OriginToken.Encode(origin);

        Assert.DoesNotContain('=', token);
        Assert.DoesNotContain('+', token);
        Assert.DoesNotContain('/', token);
        Assert.True(OriginToken.TryDecode(token, out var decoded, out _));
        Assert.Equal(origin, decoded);
        Assert.Equal(Encoding.UTF8.GetBytes(origin), Convert.FromBase64String(Pad(token.Replace('-', '+').Replace('_', '/'))));
    }

    private static string Pad(string base64) => base64 + new string('=', (4 - (base64.Length % 4)) % 4);
}
