using WithCache.Server.Hosting;

namespace WithCache.Server.Tests.Hosting;

public sealed class ServerCommandTests
{
    [Theory]
    [InlineData("1", 1L)]
    [InlineData("500M", 500L << 20)]
    [InlineData("50G", 50L << 30)]
    [InlineData("1T", 1L << 40)]
    [InlineData("1.5G", 3L << 29)]
    [InlineData("2GiB", 2L << 30)]
    [InlineData("10gb", 10L << 30)]
    [InlineData("  64k ", 64L << 10)]
    [InlineData("123456789", 123456789L)]
    public void ByteSize_Valid_Parses(string text, long expected)
    {
        Assert.True(ByteSize.TryParse(text, out var bytes));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("G")]
    [InlineData("-5G")]
    [InlineData("0")]
    [InlineData("five")]
    [InlineData("5X")]
    [InlineData("1e9")]
    [InlineData("99999999999P")]
    [InlineData("5 G B")]
    public void ByteSize_Nonsense_Refused(string text)
    {
        Assert.False(ByteSize.TryParse(text, out _));
    }

    [Theory]
    [InlineData("--max-bytes", "lots")]
    [InlineData("--port", "http")]
    [InlineData("--workers", "0")]
    [InlineData("--bind", "not-an-address")]
    [InlineData("--no-such-flag", "x")]
    public async Task RunAsync_BadValue_ExitsWith2(string flag, string value)
    {
        var exitCode = await ServerCommand.RunAsync([flag, value]);

        Assert.Equal(2, exitCode);
    }

    [Fact]
    public async Task RunAsync_Help_ExitsWith0()
    {
        Assert.Equal(0, await ServerCommand.RunAsync(["--help"]));
    }
}
