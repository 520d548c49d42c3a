using WithCache.Core;

namespace WithCache.Shim.Planning;

/// <summary>
/// What the shim does with one argv. For a candidate, <see cref="UrlIndex"/> is the argument that is the URL
/// (neither tool takes a URL glued to an option: curl's <c>--url</c> has its value in the next word and wget 1.21
/// has no <c>--url</c>).
/// </summary>
internal sealed record ArgvPlan(PlanOutcome Outcome, string Reason, int UrlIndex = -1, OriginUrl? Origin = null)
{
    public static ArgvPlan PassThrough(string reason) => new(PlanOutcome.PassThrough, reason);

    /// <summary>The argv with only the URL argument replaced by <paramref name="fetchUrl"/>.</summary>
    public string[] Rewrite(IReadOnlyList<string> args, string fetchUrl)
    {
        if (Outcome != PlanOutcome.Candidate)
        {
            throw new InvalidOperationException("only a candidate plan can be rewritten");
        }

        var rewritten = new string[args.Count];
        for (var i = 0; i < args.Count; i++)
        {
            rewritten[i] = args[i];
        }

        rewritten[UrlIndex] = fetchUrl;
        return rewritten;
    }
}
