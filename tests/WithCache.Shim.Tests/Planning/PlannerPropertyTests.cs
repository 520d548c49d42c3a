using CsCheck;
using WithCache.Core;
using WithCache.Shim.Planning;

namespace WithCache.Shim.Tests.Planning;

/// <summary>
/// Generated-argv properties of both planners. What a plan promises (ArgvPlan, DESIGN.md "The shim" step 4): a
/// pass-through names a reason and nothing to rewrite, so the real tool runs with the argv as given; a candidate
/// names one word that is the URL exactly as written (neither tool takes a URL glued to an option, so there is no
/// <c>--url=</c> prefix to keep), and the rewrite replaces that word, and only it, with the fetch URL.
/// CsCheck prints the seed of a failure; set <c>CsCheck_Seed</c> to replay it.
/// </summary>
public class PlannerPropertyTests
{
    private const string ServerBase = PlanningCorpus.ServerBase;

    [Theory]
    [InlineData("curl")]
    [InlineData("wget")]
    public void Plan_MangledArgv_NeverThrowsNorTouchesTheArgv(string tool)
    {
        var (generator, planner) = For(tool);
        Gen.Frequency((1, generator.Select(argv => argv.Args)), (3, ArgvGen.Mangled(generator))).Sample(args =>
        {
            var before = (string[])args.Clone();

            var plan = planner(args);

            Assert.Equal(before, args);
            AssertConsistent(plan, args);
        }, iter: 10_000, print: PlanningCorpus.Display);
    }

    [Theory]
    [InlineData("curl")]
    [InlineData("wget")]
    public void Plan_Candidate_RewritesOnlyTheWordTheToolReadsAsTheUrl(string tool)
    {
        var (generator, planner) = For(tool);
        generator.Sample(argv =>
        {
            var args = argv.Args;
            var plan = planner(args);
            AssertConsistent(plan, args);
            if (plan.Origin is not { } origin)
            {
                return;
            }

            // The word is one the tool itself fetches, never an option's value (a proxy, a referer, an output
            // name), and the tool fetches no other.
            Assert.True(argv.ReadAsUrl[plan.UrlIndex], $"word {plan.UrlIndex} is not read as a URL");
            Assert.Single(argv.ReadAsUrl, readAsUrl => readAsUrl);

            var fetch = FetchUrl.Build(ServerBase, origin);
            var rewritten = plan.Rewrite(args, fetch);

            Assert.Equal(args.Length, rewritten.Length);
            for (var i = 0; i < args.Length; i++)
            {
                Assert.Equal(i == plan.UrlIndex ? fetch : args[i], rewritten[i]);
            }

            var token = rewritten[plan.UrlIndex][(ServerBase + FetchUrl.RoutePrefix).Length..].Split('/')[0];
            Assert.True(OriginToken.TryDecode(token, out var decoded, out var error), error?.Reason);
            Assert.Equal(args[plan.UrlIndex], decoded);
        }, iter: 10_000);
    }

    private static (Gen<GeneratedArgv> Generator, Func<IReadOnlyList<string>, ArgvPlan> Planner) For(string tool) =>
        tool == "curl" ? (ArgvGen.Curl, CurlArgvPlanner.Plan) : (ArgvGen.Wget, WgetArgvPlanner.Plan);

    private static void AssertConsistent(ArgvPlan plan, string[] args)
    {
        Assert.False(string.IsNullOrEmpty(plan.Reason));
        if (plan.Outcome == PlanOutcome.PassThrough)
        {
            Assert.Equal(-1, plan.UrlIndex);
            Assert.Null(plan.Origin);
            Assert.Throws<InvalidOperationException>(() => plan.Rewrite(args, "http://cache/b/x/y"));
            return;
        }

        Assert.Equal(PlanOutcome.Candidate, plan.Outcome);
        Assert.InRange(plan.UrlIndex, 0, args.Length - 1);
        Assert.NotNull(plan.Origin);
        Assert.Equal(args[plan.UrlIndex], plan.Origin.Text);
    }
}
