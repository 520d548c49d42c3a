using WithCache.Shim.Planning;

namespace WithCache.Shim.Tests.Planning;

/// <summary>Rows the jsonl corpus cannot hold: its words carry no line breaks.</summary>
public class WgetArgvPlannerTests
{
    // wget 1.21 refuses a line break in --header and --user-agent but sends --referer as it is (checked against the real wget:
    // "--referer='r\r\nAuthorization: y'" puts an Authorization header on the wire).
    [Theory]
    [InlineData("--referer=https://h.example/ref\r\nAuthorization: Bearer y")]
    [InlineData("--referer=r\nCookie: s=1")]
    [InlineData("--header=Accept: x\r\nAuthorization: Bearer y")]
    [InlineData("--user-agent=agent\r\nPRIVATE-TOKEN: y")]
    [InlineData("--output-document=out\nname")]
    public void Plan_LineBreakInAnOptionValue_PassesThrough(string option)
    {
        var plan = WgetArgvPlanner.Plan([option, "https://h.example/x.tgz"]);

        Assert.Equal(PlanOutcome.PassThrough, plan.Outcome);
        Assert.Contains("line break", plan.Reason, StringComparison.Ordinal);
    }
}
