using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using WithCache.Server.Tests.TestSupport;
using static WithCache.Server.Tests.Downloads.OriginFetcherTests;

namespace WithCache.Server.Tests.Downloads;

/// <summary>
/// How long a fill waits after a 429 (or 503) with Retry-After (RFC 9110 section 10.2.3), on a fake clock: the asked
/// delay when it lies between the backoff and <see cref="Server.Downloads.FetchOptions.RetryMaxDelay"/>, capped at
/// RetryMaxDelay when it asks for more (a fill does not hold a worker for an hour; it retries at the cap, and after
/// MaxAttempts without progress fails with the origin's status as the reason), and the ordinary backoff when the
/// header is absent, zero, in the past or not a delay.
/// </summary>
public sealed class OriginFetcherRetryAfterTests
{
    private static readonly DateTimeOffset Start = new(2024, 5, 6, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("7", 7)]
    [InlineData("29", 29)]
    [InlineData("3600", 30)]
    [InlineData("+20s", 20)]
    [InlineData("-20s", 1)]
    [InlineData("0", 1)]
    [InlineData("soon", 1)]
    [InlineData(null, 1)]
    public async Task FetchAsync_TooManyRequestsWithRetryAfter_WaitsTheAskedDelayWithinItsLimits(string? retryAfter, int expectedSeconds)
    {
        var body = Bytes(1_000);
        var time = new FakeTimeProvider(Start);
        await using var origin = await OriginServer.StartAsync();
        origin.MapStatus("/limited", 429, times: 1, then: new OriginFile(body), headers: RetryAfterHeader(retryAfter));
        await using var harness = new FetchHarness(
            o =>
            {
                o.IdleTimeout = TimeSpan.FromHours(1);
                o.RetryBaseDelay = TimeSpan.FromSeconds(1);
                o.RetryMaxDelay = TimeSpan.FromSeconds(30);
            },
            time: time);
        var expected = TimeSpan.FromSeconds(expectedSeconds);

        var fetch = harness.FetchAsync(origin.Url("/limited"));

        var retrying = await WaitForLogAsync(harness, "retrying in ");
        Assert.EndsWith($"retrying in {expected.ToString("c", CultureInfo.InvariantCulture)}", retrying.Split(" Url=")[0], StringComparison.Ordinal);

        // Not a moment early: just short of the delay the origin has still seen one request. (A negative check can
        // only pass wrongly, never fail wrongly, so the short real wait cannot make it flaky.)
        time.Advance(expected - TimeSpan.FromMilliseconds(1));
        await Task.Delay(100);
        Assert.Single(origin.RequestsTo("/limited"));

        // The whole delay again: enough even if the retry timer was armed only after the first advance.
        time.Advance(expected);
        var result = await fetch.WaitAsync(TimeSpan.FromSeconds(30));

        AssertCompletedWith(result, harness.TempPath, body);
        Assert.Equal(2, origin.RequestsTo("/limited").Count);
    }

    /// <summary>"+20s"/"-20s" become an HTTP date that far from the fake now; anything else is sent as written.</summary>
    private static Dictionary<string, string> RetryAfterHeader(string? value) => value switch
    {
        null => [],
        ['+' or '-', .. var seconds] when seconds.EndsWith('s') => new()
        {
            ["Retry-After"] = Start.AddSeconds((value[0] == '-' ? -1 : 1) * int.Parse(seconds[..^1], CultureInfo.InvariantCulture)).ToString("R", CultureInfo.InvariantCulture),
        },
        _ => new() { ["Retry-After"] = value },
    };

    private static async Task<string> WaitForLogAsync(FetchHarness harness, string text)
    {
        for (var i = 0; i < 600; i++)
        {
            if (harness.Logs.Lines.FirstOrDefault(line => line.Contains(text, StringComparison.Ordinal)) is { } line)
            {
                return line;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no log line with \"{text}\"");
    }
}
