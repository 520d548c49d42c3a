using WithCache.Shim.Planning;

namespace WithCache.Shim.Tests.Planning;

/// <summary>
/// How the planners prepare a hit on a cache-host that redirects to its object store (<c>--s3-redirect</c>): curl gets
/// <c>--location</c> after its own options when it has none in effect; a command line that would not follow the redirect
/// as a download of the same file says why, and the shim then leaves it on the origin.
/// </summary>
public class RedirectPlanningTests
{
    private const string Url = "https://h.example/pkg/x.tgz";
    private const string Fetch = "http://cache:8080/b/T/x.tgz";

    [Theory]
    [InlineData(new[] { "-sSO", Url }, new[] { "-sSO", Fetch, "--location" })]
    [InlineData(new[] { "-o", "--", Url }, new[] { "-o", "--", Fetch, "--location" })]
    [InlineData(new[] { "-fsS", "--", Url }, new[] { "-fsS", "--location", "--", Fetch })]
    [InlineData(new[] { "--url", Url, "-o", "out" }, new[] { "--url", Fetch, "-o", "out", "--location" })]
    [InlineData(new[] { "-L", "--no-location", Url }, new[] { "-L", "--no-location", Fetch, "--location" })]
    [InlineData(new[] { "-fsSL", Url }, new[] { "-fsSL", Fetch })]
    [InlineData(new[] { "--location-trusted", "-O", Url }, new[] { "--location-trusted", "-O", Fetch })]
    [InlineData(new[] { "--no-location", "-L", Url }, new[] { "--no-location", "-L", Fetch })]
    [InlineData(new[] { "--max-redirs", "0", "--max-redirs", "2", Url }, new[] { "--max-redirs", "0", "--max-redirs", "2", Fetch, "--location" })]
    [InlineData(new[] { "--max-redirs", "-1", Url }, new[] { "--max-redirs", "-1", Fetch, "--location" })]
    [InlineData(new[] { "-i", "--no-include", Url }, new[] { "-i", "--no-include", Fetch, "--location" })]
    public void Curl_RedirectingCache_LocationAddedOnlyWhenNotInEffect(string[] args, string[] expected)
    {
        var plan = CurlArgvPlanner.Plan(args);

        Assert.Equal(PlanOutcome.Candidate, plan.Outcome);
        Assert.Null(plan.RedirectRefusal);
        Assert.Equal(expected, plan.Rewrite(args, Fetch, redirectsToStore: true));
        Assert.Equal(args.Select(a => a == Url ? Fetch : a), plan.Rewrite(args, Fetch));
    }

    [Theory]
    [InlineData(new[] { "-L", "--max-redirs", "0", Url }, "--max-redirs 0 follows no redirect")]
    [InlineData(new[] { "--max-redirs", "5", "--max-redirs", "0", "-O", Url }, "--max-redirs 0 follows no redirect")]
    [InlineData(new[] { "-L", "--proto-redir", "=https", Url }, "--proto-redir may refuse the store's scheme")]
    [InlineData(new[] { "-sSi", "-o", "out", Url }, "-i would write the redirect's headers into the output as well")]
    [InlineData(new[] { "--no-include", "--include", Url }, "-i would write the redirect's headers into the output as well")]
    public void Curl_CommandThatWouldNotFollowTheRedirect_SaysWhy(string[] args, string refusal)
    {
        var plan = CurlArgvPlanner.Plan(args);

        Assert.Equal(PlanOutcome.Candidate, plan.Outcome);
        Assert.Equal(refusal, plan.RedirectRefusal);
        Assert.Throws<InvalidOperationException>(() => plan.Rewrite(args, Fetch, redirectsToStore: true));
    }

    [Theory]
    [InlineData("default", new[] { "-q", Url })]
    [InlineData("continue into a named file", new[] { "-c", "-O", "out", Url })]
    [InlineData("the last --max-redirect wins", new[] { "--max-redirect=0", "--max-redirect", "1", Url })]
    [InlineData("negated", new[] { "--trust-server-names", "--no-trust-server-names", Url })]
    [InlineData("switched off", new[] { "--trust-server-names=off", Url })]
    public void Wget_FollowsRedirectsByDefault_ArgvOnlyRepointed(string form, string[] args)
    {
        var plan = WgetArgvPlanner.Plan(args);

        Assert.True(plan.Outcome == PlanOutcome.Candidate, form);
        Assert.Null(plan.RedirectRefusal);
        Assert.False(plan.NeedsLocation);
        Assert.Equal(args.Select(a => a == Url ? Fetch : a), plan.Rewrite(args, Fetch, redirectsToStore: true));
    }

    [Theory]
    [InlineData(new[] { "--max-redirect=0", Url }, "--max-redirect 0 follows no redirect")]
    [InlineData(new[] { Url, "--max-redirect", "0" }, "--max-redirect 0 follows no redirect")]
    [InlineData(new[] { "--trust-server-names", Url }, "--trust-server-names would name the file after the store's URL")]
    [InlineData(new[] { "--trust-server-names=on", Url }, "--trust-server-names would name the file after the store's URL")]
    public void Wget_CommandThatWouldNotFollowTheRedirectAsTheSameFile_SaysWhy(string[] args, string refusal)
    {
        var plan = WgetArgvPlanner.Plan(args);

        Assert.Equal(PlanOutcome.Candidate, plan.Outcome);
        Assert.Equal(refusal, plan.RedirectRefusal);
    }
}
