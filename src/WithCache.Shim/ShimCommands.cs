using System.Text;
using WithCache.Core;
using WithCache.Shim.Planning;

namespace WithCache.Shim;

/// <summary>
/// What <c>withcache-shim</c> does when called by its own name rather than as curl or wget: print usage or the
/// version, or <c>plan</c>, which reads argvs on stdin and prints the decision for each, so tests can compare the AOT
/// binary and the managed build over one corpus without a process per argv.
/// </summary>
internal static class ShimCommands
{
    /// <summary>
    /// What <c>--version</c> prints. A constant rather than the assembly's informational version: reading that
    /// attribute works under NativeAOT but links in custom-attribute reflection, 480 KB (+27 %) of binary, and the
    /// binary's size is a start-up cost (DESIGN.md "Targets"). Keep it equal to the release's package version.
    /// </summary>
    public const string Version = "0.1.0";

    /// <summary>Separates the words of one argv on a line of <c>plan</c>'s input and output.</summary>
    public const char Separator = '\u001f';

    private const string Usage = """
        withcache-shim: transparent curl/wget shim for a withcache cache-host.

        Link it as curl/curlwithcache or wget/wgetwithcache and call it as the tool:
          ln -s withcache-shim curlwithcache; WITHCACHE_SERVER=cache:3000 curlwithcache -fLO URL

        Environment:
          WITHCACHE_SERVER            host, host:port or http(s)://host:port of the cache-host
          CURLWITHCACHE_SERVER        the same, for curl only (wins over WITHCACHE_SERVER)
          WGETWITHCACHE_SERVER        the same, for wget only
          REAL_CURL, REAL_WGET        path of the real tool (default: next one on PATH)
          WITHCACHE_PROBE_TIMEOUT_MS  deadline for the cache probe (default 400)
          WITHCACHE_DEBUG=1           print the decision on stderr
          WITHCACHE_SHIM_TOOL         curl or wget, when the binary's name says neither

        Commands (when called as withcache-shim):
          --help, -h                  print this text
          --version                   print the shim's version
          plan curl|wget SERVER       read argvs (words separated by U+001F) on stdin, print
                                      outcome, reason and the argv as rewritten on a hit
        """;

    public static int Run(string[] args)
    {
        if (args is ["plan", var toolName, var server] && ToolNames.Find(toolName) is { } tool)
        {
            return PlanBatch(tool, server);
        }

        if (args is ["--help"] or ["-h"])
        {
            Console.Out.WriteLine(Usage);
            return 0;
        }

        if (args is ["--version"])
        {
            Console.Out.WriteLine("withcache-shim " + Version);
            return 0;
        }

        Console.Error.WriteLine(Usage);
        return 2;
    }

    private static int PlanBatch(ToolKind tool, string serverValue)
    {
        if (!ServerAddress.TryNormalize(serverValue, out var serverBase, out var error))
        {
            ShimConsole.Error($"server address '{serverValue}': {error.Reason}");
            return 2;
        }

        var output = new StringBuilder();
        while (Console.In.ReadLine() is { } line)
        {
            var argv = line.Length == 0 ? [] : line.Split(Separator);
            var plan = ShimRun.Plan(tool, argv);
            output.Append(plan.Outcome == PlanOutcome.Candidate ? "candidate" : "pass-through")
                .Append(Separator).Append(plan.Reason);
            var final = plan.Origin is { } origin ? plan.Rewrite(argv, FetchUrl.Build(serverBase, origin)) : argv;
            foreach (var word in final)
            {
                output.Append(Separator).Append(word);
            }

            output.Append('\n');
        }

        Console.Out.Write(output.ToString());
        return 0;
    }
}
