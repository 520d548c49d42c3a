using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using WithCache.Core;
using WithCache.Shim.Planning;
using WithCache.Shim.Tests.TestSupport;
using Xunit.Abstractions;

namespace WithCache.Shim.Tests.Planning;

/// <summary>
/// Runs the real curl or wget with an argv against a loopback origin and checks the planner against what the tool
/// put on the wire. Argv templates use <c>{origin}</c> (<c>http://127.0.0.1:PORT</c>), <c>{hostport}</c>
/// (<c>127.0.0.1:PORT</c>) and <c>{closed}</c> (a loopback port nobody listens on), so no row reaches past loopback.
/// </summary>
internal static class GroundTruth
{
    public const string Candidate = "candidate";

    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Checks one row. <paramref name="expectation"/> is <see cref="Candidate"/> or a substring of the reason the
    /// planner must give for passing through. For a candidate, the tool must have sent exactly one GET or HEAD, for
    /// the path and query of the URL the planner picked; the rewritten argv must then make the tool fetch exactly
    /// the fetch URL.
    /// </summary>
    public static async Task CheckAsync(
        string tool,
        Func<IReadOnlyList<string>, ArgvPlan> planner,
        string expectation,
        string[] template,
        ITestOutputHelper output)
    {
        await using var origin = await LoopbackServer.StartOriginAsync();
        var args = Expand(template, origin);
        var plan = planner(args);
        output.WriteLine($"argv: {PlanningCorpus.Display(args)}");
        output.WriteLine($"plan: {plan.Outcome} ({plan.Reason})");

        var run = await RunAsync(tool, args, origin);
        var requests = origin.Requests;
        output.WriteLine($"exit {run.ExitCode}; requests: {string.Join(", ", requests.Select(r => $"{r.Method} {r.RawTarget}"))}");

        if (expectation != Candidate)
        {
            Assert.True(plan.Outcome == PlanOutcome.PassThrough, $"expected a pass-through ({expectation}), got {plan}");
            Assert.Contains(expectation, plan.Reason, StringComparison.Ordinal);
            return;
        }

        Assert.True(plan.Outcome == PlanOutcome.Candidate, $"expected a candidate, got {plan}");
        var only = Assert.Single(requests);
        Assert.Contains(only.Method, new[] { "GET", "HEAD" });
        Assert.Equal(Normalise(PathAndQuery(plan.Origin!)), Normalise(only.RawTarget));

        // The same server stands in for the cache: after the rewrite the tool must ask for the fetch URL and nothing
        // else, and end the same way.
        var fetch = FetchUrl.Build(origin.BaseUrl, plan.Origin!);
        var rewritten = plan.Rewrite(args, fetch);
        var rerun = await RunAsync(tool, rewritten, origin);
        var again = origin.Requests.Skip(requests.Count).ToList();
        output.WriteLine($"rewritten: exit {rerun.ExitCode}; requests: {string.Join(", ", again.Select(r => $"{r.Method} {r.RawTarget}"))}");
        Assert.Equal(run.ExitCode, rerun.ExitCode);
        var request = requests[0];
        var fetched = Assert.Single(again);
        Assert.Equal(request.Method, fetched.Method);
        Assert.Equal(Normalise(fetch[origin.BaseUrl.Length..]), Normalise(fetched.RawTarget));
    }

    public static string[] Expand(string[] template, LoopbackServer origin)
    {
        var closed = ClosedPort().ToString(CultureInfo.InvariantCulture);
        return [.. template.Select(word => word
            .Replace("{origin}", origin.BaseUrl, StringComparison.Ordinal)
            .Replace("{hostport}", $"127.0.0.1:{origin.Port}", StringComparison.Ordinal)
            .Replace("{closed}", $"127.0.0.1:{closed}", StringComparison.Ordinal))];
    }

    /// <summary>The request target a tool sends for an origin: fragments are never sent, an empty path is "/".</summary>
    public static string PathAndQuery(OriginUrl origin) =>
        (origin.Path.Length == 0 ? "/" : origin.Path) + (origin.Query is null ? "" : "?" + origin.Query);

    /// <summary>
    /// Undoes the tools' own escaping so that a target as written and a target as sent compare equal: both tools
    /// percent-encode spaces and non-ASCII bytes (curl with lower-case hex, and not in the query), wget also
    /// <c>"&lt;&gt;\^`{|}</c> and a <c>%</c> that starts no escape. Every such byte becomes <c>%XX</c> in upper case,
    /// every existing escape is upper-cased, everything else stays as it is.
    /// </summary>
    public static string Normalise(string target)
    {
        var bytes = Encoding.UTF8.GetBytes(target);
        var builder = new StringBuilder(bytes.Length * 3);
        for (var i = 0; i < bytes.Length; i++)
        {
            var b = bytes[i];
            if (b == '%' && i + 2 < bytes.Length && char.IsAsciiHexDigit((char)bytes[i + 1]) && char.IsAsciiHexDigit((char)bytes[i + 2]))
            {
                builder.Append('%').Append(char.ToUpperInvariant((char)bytes[i + 1])).Append(char.ToUpperInvariant((char)bytes[i + 2]));
                i += 2;
            }
            else if (b is > 0x20 and < 0x7f && "\"<>\\^`{|}[]%".IndexOf((char)b, StringComparison.Ordinal) < 0)
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    private static async Task<ProcessResult> RunAsync(string tool, IReadOnlyList<string> args, LoopbackServer origin)
    {
        // Each run gets a fresh directory, so "-nc" or "-c" never find a file of an earlier run. An option value
        // that is itself an origin URL ("-o http://127.0.0.1:PORT/out") names a path below "http:/127.0.0.1:PORT/":
        // create it, so the tool gets as far as sending its request.
        using var work = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(work.Path, "http:", $"127.0.0.1:{origin.Port}"));
        return await ProcessRunner.RunAsync(tool, args, workingDirectory: work.Path, timeout: ToolTimeout);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
