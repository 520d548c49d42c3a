namespace WithCache.Core.Tests;

public sealed class OriginUrlTests
{
    [Theory]
    // origin, key, key with --keep-query
    [InlineData("HTTP://Example.COM/A/B.bin", "http://example.com/A/B.bin", "http://example.com/A/B.bin")]
    [InlineData("https://example.com:443", "https://example.com/", "https://example.com/")]
    [InlineData("https://example.com:80/x", "https://example.com:80/x", "https://example.com:80/x")]
    [InlineData("http://example.com:443/x", "http://example.com:443/x", "http://example.com:443/x")]
    [InlineData("http://example.com:/x", "http://example.com/x", "http://example.com/x")]
    [InlineData("http://example.com:0080/x", "http://example.com/x", "http://example.com/x")]
    [InlineData("http://[::1]/x", "http://[::1]/x", "http://[::1]/x")]
    [InlineData("http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/x", "http://[2001:db8::1]/x")]
    [InlineData("http://192.168.0.1:8080/f", "http://192.168.0.1:8080/f", "http://192.168.0.1:8080/f")]
    [InlineData("https://example.com/dir/", "https://example.com/dir/", "https://example.com/dir/")]
    [InlineData("https://example.com/dir//x", "https://example.com/dir//x", "https://example.com/dir//x")]
    [InlineData("https://example.com/a%2fb/%7Euser", "https://example.com/a%2fb/%7Euser", "https://example.com/a%2fb/%7Euser")]
    [InlineData("https://example.com/a/../b", "https://example.com/a/../b", "https://example.com/a/../b")]
    [InlineData("https://example.com/f?", "https://example.com/f", "https://example.com/f")]
    [InlineData("https://example.com/f?a=1&b=2#x?y", "https://example.com/f", "https://example.com/f?a=1&b=2")]
    [InlineData("https://example.com#frag", "https://example.com/", "https://example.com/")]
    [InlineData("https://example.com?q", "https://example.com/", "https://example.com/?q")]
    [InlineData("https://example.com/my file.iso", "https://example.com/my file.iso", "https://example.com/my file.iso")]
    [InlineData("https://EXAMPLE.com/Ä.bin", "https://example.com/Ä.bin", "https://example.com/Ä.bin")]
    public void ToKey_Origin_Canonicalizes(string origin, string key, string keyKeepQuery)
    {
        Assert.True(OriginUrl.TryParse(origin, out var url, out var error), error?.Reason);
        Assert.Equal(key, url.ToKey(keepQuery: false).Value);
        Assert.Equal(keyKeepQuery, url.ToKey(keepQuery: true).Value);
    }

    [Theory]
    [InlineData("", ProtocolErrorKind.NotAbsoluteHttpUrl)]
    [InlineData("/relative/path", ProtocolErrorKind.NotAbsoluteHttpUrl)]
    [InlineData("example.com/file", ProtocolErrorKind.NotAbsoluteHttpUrl)]
    [InlineData("//example.com/file", ProtocolErrorKind.NotAbsoluteHttpUrl)]
    [InlineData("ftp://example.com/file", ProtocolErrorKind.NotAbsoluteHttpUrl)]
    [InlineData("file:///etc/passwd", ProtocolErrorKind.NotAbsoluteHttpUrl)]
    [InlineData("gopher://example.com/", ProtocolErrorKind.NotAbsoluteHttpUrl)]
    [InlineData("http:/example.com/x", ProtocolErrorKind.NotAbsoluteHttpUrl)]
    [InlineData("http://", ProtocolErrorKind.NotAbsoluteHttpUrl)]
    [InlineData("http:///x", ProtocolErrorKind.NotAbsoluteHttpUrl)]
    [InlineData("http://:80/x", ProtocolErrorKind.NotAbsoluteHttpUrl)]
    [InlineData("http://example.com:99999/x", ProtocolErrorKind.NotAbsoluteHttpUrl)]
    [InlineData("http://example.com:0/x", ProtocolErrorKind.NotAbsoluteHttpUrl)]
    [InlineData("http://example.com:8a/x", ProtocolErrorKind.NotAbsoluteHttpUrl)]
    [InlineData("http://example.com:-1/x", ProtocolErrorKind.NotAbsoluteHttpUrl)]
    [InlineData("http://[::1/x", ProtocolErrorKind.NotAbsoluteHttpUrl)]
    [InlineData("http://[1.2.3.4]/x", ProtocolErrorKind.NotAbsoluteHttpUrl)]
    [InlineData("http://[::1]x/x", ProtocolErrorKind.NotAbsoluteHttpUrl)]
    [InlineData("http://exa mple.com/x", ProtocolErrorKind.NotAbsoluteHttpUrl)]
    [InlineData("http://example.com/x\ny", ProtocolErrorKind.NotAbsoluteHttpUrl)]
    [InlineData("http://example.com/x\0", ProtocolErrorKind.NotAbsoluteHttpUrl)]
    [InlineData("http://example.com/\u007f", ProtocolErrorKind.NotAbsoluteHttpUrl)]
    [InlineData("http://user@example.com/x", ProtocolErrorKind.HasCredentials)]
    [InlineData("http://user:secret@example.com/x", ProtocolErrorKind.HasCredentials)]
    [InlineData("https://:@example.com/x", ProtocolErrorKind.HasCredentials)]
    public void TryParse_NotAnHttpOrigin_Refuses(string text, ProtocolErrorKind kind)
    {
        Assert.False(OriginUrl.TryParse(text, out var url, out var error));
        Assert.Null(url);
        Assert.Equal(kind, error.Kind);
    }

    // A lone surrogate has no UTF-8 form: TryParse accepted it and the token carried U+FFFD in its place. xunit passes
    // theory strings through UTF-8, which would make the same swap, so the surrogate is given by its code.
    [Theory]
    [InlineData("http://example.com/x", 0xD83D, "")]
    [InlineData("http://example.com/", 0xDE00, "x")]
    [InlineData("http://example.com/?q=", 0xDE00, "😀")]
    [InlineData("http://exa", 0xD800, "mple.com/")]
    public void TryParse_LoneSurrogate_RefusesAsNotUtf8(string before, int surrogate, string after)
    {
        var text = before + (char)surrogate + after;

        Assert.False(OriginUrl.TryParse(text, out var url, out var error));
        Assert.Null(url);
        Assert.Equal(ProtocolErrorKind.NotUtf8, error.Kind);
    }

    [Fact]
    public void TryParse_LongerThanLimit_RefusesAsTooLong()
    {
        var text = "https://example.com/" + new string('a', OriginUrl.MaxBytes);

        Assert.False(OriginUrl.TryParse(text, out _, out var error));
        Assert.Equal(ProtocolErrorKind.TooLong, error.Kind);
    }

    [Fact]
    public void TryParse_MultiByteNearLimit_CountsUtf8Bytes()
    {
        var prefix = "https://example.com/";
        var fits = prefix + new string('é', (OriginUrl.MaxBytes - prefix.Length) / 2);
        var tooLong = fits + "éé";

        Assert.True(OriginUrl.TryParse(fits, out _, out _));
        Assert.False(OriginUrl.TryParse(tooLong, out _, out var error));
        Assert.Equal(ProtocolErrorKind.TooLong, error.Kind);
    }

    [Theory]
    [InlineData("https://h/a/b/file.tar.gz", "file.tar.gz")]
    [InlineData("https://h/a/b/", "")]
    [InlineData("https://h", "")]
    [InlineData("https://h/", "")]
    [InlineData("https://h/a%20b.bin?x=1#f", "a%20b.bin")]
    [InlineData("https://h/dir/файл.zip", "файл.zip")]
    [InlineData("https://h/p;v=1/f;x", "f;x")]
    public void LastSegment_Path_IsTheLastSegmentAsWritten(string origin, string expected)
    {
        Assert.True(OriginUrl.TryParse(origin, out var url, out _));
        Assert.Equal(expected, url.LastSegment);
    }

    [Theory]
    [InlineData("https://h/a/../b", true)]
    [InlineData("https://h/./b", true)]
    [InlineData("https://h/a/..", true)]
    [InlineData("https://h/a/%2E%2E/b", true)]
    [InlineData("https://h/a/.%2e/b", true)]
    [InlineData("https://h/a/..b/c", false)]
    [InlineData("https://h/.hidden/f", false)]
    [InlineData("https://h/f?x=/../y", false)]
    public void HasDotSegments_Path_DetectsWhatToolsSquash(string origin, bool expected)
    {
        Assert.True(OriginUrl.TryParse(origin, out var url, out _));
        Assert.Equal(expected, url.HasDotSegments);
    }
}
