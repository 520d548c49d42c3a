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
    [InlineData("--max-events", "lots")]
    [InlineData("--max-events", "99")]
    [InlineData("--max-events", "10000001")]
    [InlineData("--max-events", "-5")]
    [InlineData("--auto-fills-per-minute", "-1")]
    [InlineData("--auto-fills-per-minute", "many")]
    [InlineData("--no-such-flag", "x")]
    public async Task RunAsync_BadValue_ExitsWith2(string flag, string value)
    {
        var exitCode = await ServerCommand.RunAsync([flag, value]);

        Assert.Equal(2, exitCode);
    }

    [Theory]
    [InlineData("WITHCACHE_MAX_EVENTS", "lots")]
    [InlineData("WITHCACHE_MAX_EVENTS", "50")]
    [InlineData("WITHCACHE_WORKERS", "0")]
    public async Task RunAsync_BadVariable_ExitsWith2WithoutRunning(string variable, string value)
    {
        var ran = false;

        var exitCode = await ServerCommand.RunAsync([], name => name == variable ? value : null, _ =>
        {
            ran = true;
            return Task.FromResult(0);
        });

        Assert.Equal(2, exitCode);
        Assert.False(ran);
    }

    [Theory]
    [InlineData(null, null, "10000")]
    [InlineData("500", null, "500")]
    [InlineData(null, "2500", "2500")]
    [InlineData(" 2500 ", null, "2500")]
    [InlineData("500", "2500", "500")]
    [InlineData(null, "", "10000")]
    public async Task RunAsync_MaxEventsFlagOrVariable_LandsInMaxEvents(string? flag, string? variable, string expected)
    {
        Dictionary<string, string?>? settings = null;

        var exitCode = await ServerCommand.RunAsync(
            flag is null ? [] : ["--max-events", flag],
            name => name == "WITHCACHE_MAX_EVENTS" ? variable : null,
            s =>
            {
                settings = s;
                return Task.FromResult(0);
            });

        Assert.Equal(0, exitCode);
        Assert.NotNull(settings);
        Assert.Equal(expected, settings["WithCache:MaxEvents"]);
    }

    [Theory]
    [InlineData("0", null, "0")]
    [InlineData(null, "30", "30")]
    [InlineData(null, null, "120")]
    public async Task RunAsync_AutoFillsFlagOrVariable_LandsInAutoFillsPerMinute(string? flag, string? variable, string expected)
    {
        Dictionary<string, string?>? settings = null;

        var exitCode = await ServerCommand.RunAsync(
            flag is null ? [] : ["--auto-fills-per-minute", flag],
            name => name == "WITHCACHE_AUTO_FILLS_PER_MINUTE" ? variable : null,
            s =>
            {
                settings = s;
                return Task.FromResult(0);
            });

        Assert.Equal(0, exitCode);
        Assert.NotNull(settings);
        Assert.Equal(expected, settings["WithCache:AutoFillsPerMinute"]);
    }

    [Fact]
    public async Task RunAsync_Help_ExitsWith0()
    {
        Assert.Equal(0, await ServerCommand.RunAsync(["--help"]));
    }
}
