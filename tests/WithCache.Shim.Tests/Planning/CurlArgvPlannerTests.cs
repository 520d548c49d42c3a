using WithCache.Shim.Planning;

namespace WithCache.Shim.Tests.Planning;

/// <summary>Rows the jsonl corpus cannot hold: its words carry no line breaks.</summary>
public class CurlArgvPlannerTests
{
    // curl 7.88 sends these values as they are, so "\r\n" starts a header line of its own (checked against the
    // real curl: "-H 'Accept: x\r\nAuthorization: y'" puts an Authorization header on the wire).
    [Theory]
    [InlineData("-H", "Accept: x\r\nAuthorization: Bearer y")]
    [InlineData("-H", "Accept: x\nAuthorization: Bearer y")]
    [InlineData("-A", "agent\r\nAuthorization: Bearer y")]
    [InlineData("-e", "https://h.example/ref\r\nCookie: s=1")]
    [InlineData("-r", "0-1\r\nPRIVATE-TOKEN: y")]
    [InlineData("-o", "out\nname")]
    public void Plan_LineBreakInAnOptionValue_PassesThrough(string option, string value)
    {
        var plan = CurlArgvPlanner.Plan([option, value, "https://h.example/x.tgz"]);

        Assert.Equal(PlanOutcome.PassThrough, plan.Outcome);
        Assert.Contains("line break", plan.Reason, StringComparison.Ordinal);
    }
}
