using WithCache.Core;

namespace WithCache.Shim.Planning;

/// <summary>
/// What the shim does with one argv. For a candidate, <see cref="UrlIndex"/> is the argument that is the URL
/// (neither tool takes a URL glued to an option: curl's <c>--url</c> has its value in the next word and wget 1.21
/// has no <c>--url</c>).
/// </summary>
internal sealed record ArgvPlan(PlanOutcome Outcome, string Reason, int UrlIndex = -1, OriginUrl? Origin = null)
{
    /// <summary>
    /// For a cache-host that answers the fetch URL with a redirect to its object store (the probe saw
    /// <see cref="FetchUrl.RedirectHeader"/>): why this command line would not follow that redirect as a download of
    /// the same file (<c>--max-redirs 0</c>, wget's <c>--trust-server-names</c>...); null when it would.
    /// </summary>
    public string? RedirectRefusal { get; init; }

    /// <summary>curl follows no redirect without <c>--location</c>: on a redirecting cache-host the shim adds it.</summary>
    public bool NeedsLocation { get; init; }

    /// <summary>The index of the <c>--</c> that ended the options, or -1: an option added goes before it.</summary>
    public int OptionsEnd { get; init; } = -1;

    public static ArgvPlan PassThrough(string reason) => new(PlanOutcome.PassThrough, reason);

    /// <summary>
    /// The argv with only the URL argument replaced by <paramref name="fetchUrl"/>; for a cache-host that redirects to its
    /// store, also <c>--location</c> when the tool needs it, after every other option (curl options may follow the URL,
    /// and the last of <c>--location</c>/<c>--no-location</c> wins) but before a <c>--</c>. The command has one URL and
    /// no <c>--next</c> (the planners pass those through), so the option reaches that one transfer and nothing else.
    /// </summary>
    public string[] Rewrite(IReadOnlyList<string> args, string fetchUrl, bool redirectsToStore = false)
    {
        if (Outcome != PlanOutcome.Candidate)
        {
            throw new InvalidOperationException("only a candidate plan can be rewritten");
        }

        if (redirectsToStore && RedirectRefusal is not null)
        {
            throw new InvalidOperationException("this command line does not follow the cache-host's redirect: " + RedirectRefusal);
        }

        var rewritten = args.ToList();
        rewritten[UrlIndex] = fetchUrl;
        if (redirectsToStore && NeedsLocation)
        {
            rewritten.Insert(OptionsEnd >= 0 ? OptionsEnd : rewritten.Count, "--location");
        }

        return [.. rewritten];
    }
}
