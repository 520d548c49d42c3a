namespace WithCache.Server.Tests.TestSupport;

/// <summary>Waiting for a state by polling, never by sleeping for a guess; the deadline is generous because CI shares 2 cores.</summary>
public static class Poll
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>Returns as soon as <paramref name="condition"/> holds; fails the test if it does not before the deadline.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what = "condition")
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what} not reached within {Deadline}");
            await Task.Delay(25);
        }
    }
}
