using System.Globalization;
using WithCache.Core;
using WithCache.Shim.Exec;
using WithCache.Shim.Planning;
using WithCache.Shim.Probing;

namespace WithCache.Shim;

/// <summary>
/// The shim proper (DESIGN.md "The shim", steps 1-5): find the real tool, and unless a server is set, the argv is
/// a plain download and the cache answers 200, exec it with the argv untouched. Nothing is read or parsed before
/// the server variable is known to be set, so the shim costs next to nothing where it is not used.
/// </summary>
internal static class ShimRun
{
    private static readonly TimeSpan DefaultProbeTimeout = TimeSpan.FromMilliseconds(400);

    public static int Run(ToolKind tool, string[] args)
    {
        var name = ToolNames.Of(tool);
        var chain = Environment.GetEnvironmentVariable(ProcessImage.ChainVariable) ?? "";
        var self = Environment.ProcessPath is { } processPath ? Libc.FindRealPath(processPath) : null;
        var real = RealToolLocator.Find(tool, self, chain);
        if (real is null)
        {
            ShimConsole.Error($"no real {name} found on PATH (set REAL_{name.ToUpperInvariant()} to its path)");
            return 127;
        }

        var nextChain = RealToolLocator.ExtendChain(chain, self);
        var debug = Environment.GetEnvironmentVariable("WITHCACHE_DEBUG") == "1";
        var serverValue = NonEmpty(Environment.GetEnvironmentVariable(name.ToUpperInvariant() + "WITHCACHE_SERVER"))
            ?? NonEmpty(Environment.GetEnvironmentVariable("WITHCACHE_SERVER"));
        IReadOnlyList<string> finalArgs;
        try
        {
            finalArgs = Decide(tool, args, serverValue, chain, debug);
        }
        catch (Exception e)
        {
            // The worst case is "no caching, the tool still works": a fault in the shim's own logic must never
            // keep the real tool from running with the argv as given.
            finalArgs = Report(debug, $"pass-through: internal error ({e.GetType().Name}: {e.Message})", args);
        }

        return ProcessImage.Replace(real, name, finalArgs, nextChain);
    }

    private static IReadOnlyList<string> Decide(ToolKind tool, string[] args, string? serverValue, string chain, bool debug)
    {
        if (serverValue is null)
        {
            return Report(debug, "pass-through: no WITHCACHE_SERVER", args);
        }

        if (chain.Length > 0)
        {
            return Report(debug, "pass-through: a shim earlier in the chain already decided", args);
        }

        if (!ServerAddress.TryNormalize(serverValue, out var serverBase, out var serverError)
            || !OriginUrl.TryParse(serverBase, out var server, out serverError))
        {
            return Report(debug, $"pass-through: server address '{serverValue}': {serverError.Reason}", args);
        }

        var plan = Plan(tool, args);
        if (plan.Outcome != PlanOutcome.Candidate || plan.Origin is null)
        {
            return Report(debug, "pass-through: " + plan.Reason, args);
        }

        var probe = CacheProbe.Head(server, plan.Origin, ProbeTimeout());
        if (probe.Outcome != ProbeOutcome.Hit)
        {
            return Report(debug, $"{Describe(probe.Outcome)}: {probe.Detail}; fetching from origin", args);
        }

        var fetchUrl = FetchUrl.Build(serverBase, plan.Origin);
        if (!probe.RedirectsToStore)
        {
            return Report(debug, "hit: " + fetchUrl, plan.Rewrite(args, fetchUrl));
        }

        // The cache-host answers the GET with a redirect to its object store (--s3-redirect).
        return plan.RedirectRefusal is { } refusal
            ? Report(debug, $"hit, but the cache-host redirects to its store and {refusal}; fetching from origin", args)
            : Report(debug, "hit, redirected to the store: " + fetchUrl, plan.Rewrite(args, fetchUrl, redirectsToStore: true));
    }

    public static ArgvPlan Plan(ToolKind tool, IReadOnlyList<string> args) =>
        tool == ToolKind.Curl ? CurlArgvPlanner.Plan(args) : WgetArgvPlanner.Plan(args);

    private static TimeSpan ProbeTimeout() =>
        int.TryParse(Environment.GetEnvironmentVariable("WITHCACHE_PROBE_TIMEOUT_MS"), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms > 0
            ? TimeSpan.FromMilliseconds(ms)
            : DefaultProbeTimeout;

    private static string Describe(ProbeOutcome outcome) => outcome switch
    {
        ProbeOutcome.Miss => "miss",
        ProbeOutcome.Unreachable => "cache unreachable",
        ProbeOutcome.TimedOut => "cache timed out",
        _ => "cache probe failed",
    };

    private static IReadOnlyList<string> Report(bool debug, string decision, IReadOnlyList<string> args)
    {
        if (debug)
        {
            ShimConsole.Error(decision);
        }

        return args;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
