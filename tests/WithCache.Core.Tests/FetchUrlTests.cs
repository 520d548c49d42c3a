namespace WithCache.Core.Tests;

public sealed class FetchUrlTests
{
    [Theory]
    [InlineData("http://cache:3000", "https://h/dir/file.tar.gz", "http://cache:3000/b/aHR0cHM6Ly9oL2Rpci9maWxlLnRhci5neg/file.tar.gz")]
    [InlineData("http://cache:3000", "https://h/dir/", "http://cache:3000/b/aHR0cHM6Ly9oL2Rpci8/")]
    [InlineData("http://cache:3000", "https://h", "http://cache:3000/b/aHR0cHM6Ly9o/")]
    [InlineData("http://cache", "https://h/f.run?sig=a%2Fb&x=1#frag", "http://cache/b/aHR0cHM6Ly9oL2YucnVuP3NpZz1hJTJGYiZ4PTEjZnJhZw/f.run?sig=a%2Fb&x=1")]
    [InlineData("http://cache/prefix", "https://h/a%20b.bin", "http://cache/prefix/b/aHR0cHM6Ly9oL2ElMjBiLmJpbg/a%20b.bin")]
    [InlineData("http://cache", "https://h/файл.zip", "http://cache/b/aHR0cHM6Ly9oL9GE0LDQudC7LnppcA/файл.zip")]
    public void Build_Origin_KeepsNameAndQueryAsWritten(string server, string origin, string expected)
    {
        Assert.True(OriginUrl.TryParse(origin, out var url, out _));

        Assert.Equal(expected, FetchUrl.Build(server, url));
    }

    [Theory]
    [InlineData("cache", "http://cache")]
    [InlineData("cache:3000", "http://cache:3000")]
    [InlineData("HTTP://cache:3000//", "http://cache:3000")]
    [InlineData("https://cache.lab:8443/", "https://cache.lab:8443")]
    [InlineData("http://cache/withcache/", "http://cache/withcache")]
    [InlineData("10.0.0.5", "http://10.0.0.5")]
    [InlineData("[fd00::5]:3000", "http://[fd00::5]:3000")]
    [InlineData("\tcache:3000\n", "http://cache:3000")]
    public void TryNormalize_ServerValue_GivesBase(string value, string expected)
    {
        Assert.True(ServerAddress.TryNormalize(value, out var serverBase, out var error), error?.Reason);
        Assert.Equal(expected, serverBase);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("ftp://cache")]
    [InlineData("cache:notaport")]
    [InlineData("http://user:pw@cache")]
    [InlineData("http://cache:3000/?x=1")]
    [InlineData("http://cache:3000/#x")]
    [InlineData("http://ca che")]
    [InlineData("http://cache/a b")]
    public void TryNormalize_BadValue_Refuses(string? value)
    {
        Assert.False(ServerAddress.TryNormalize(value, out var serverBase, out var error));
        Assert.Null(serverBase);
        Assert.NotEmpty(error.Reason);
    }
}
