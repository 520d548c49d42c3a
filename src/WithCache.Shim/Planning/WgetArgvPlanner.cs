using System.Globalization;

namespace WithCache.Shim.Planning;

/// <summary>
/// Reads a wget argv the way GNU Wget 1.21's getopt_long does: short options cluster until one that takes a value
/// (the rest of the word or the next word), long options take their value as <c>--opt=value</c> or in the next
/// word, a boolean also accepts <c>--opt=on|off</c> and <c>--no-opt</c>, <c>-n</c> takes letters (<c>-nv</c>,
/// <c>-nc</c>, <c>-nd</c>, <c>-nH</c>, <c>-np</c>), options may follow URLs, and <c>--</c> ends the options.
/// Exact long names only: getopt would accept an unambiguous abbreviation, the shim passes it through instead.
/// Wget 1.21 has no <c>--url</c> option (it answers "unrecognized option"), so that too passes through.
/// </summary>
internal static class WgetArgvPlanner
{
    private static readonly OptionIndex Index = new(WgetOptionTable.Options);

    private static readonly Dictionary<string, string> PassThrough = new(StringComparer.Ordinal)
    {
        ["version"] = "not a download",
        ["help"] = "not a download",
        ["execute"] = "wgetrc command may change anything",
        ["config"] = "config file may hide credentials or URLs",
        ["input-file"] = "URL list",
        ["force-html"] = "URL list",
        ["base"] = "URL list",
        ["recursive"] = "recursion",
        ["mirror"] = "recursion",
        ["page-requisites"] = "recursion",
        ["convert-links"] = "links rewritten against the fetched URL",
        ["convert-file-only"] = "links rewritten against the fetched URL",
        ["backup-converted"] = "links rewritten against the fetched URL",
        ["force-directories"] = "directories named after the URL's host",
        ["protocol-directories"] = "directories named after the URL's scheme",
        ["adjust-extension"] = "file name from the response's type",
        ["content-disposition"] = "file name from the origin's Content-Disposition",
        ["user"] = "client credentials",
        ["password"] = "client credentials",
        ["http-user"] = "client credentials",
        ["http-password"] = "client credentials",
        ["ftp-user"] = "client credentials",
        ["ftp-password"] = "client credentials",
        ["ask-password"] = "client credentials",
        ["use-askpass"] = "client credentials",
        ["auth-no-challenge"] = "client credentials",
        ["load-cookies"] = "cookies may carry credentials",
        ["certificate"] = "client certificate",
        ["certificate-type"] = "client certificate",
        ["private-key"] = "client certificate",
        ["private-key-type"] = "client certificate",
        ["proxy-user"] = "proxy",
        ["proxy-password"] = "proxy",
        ["post-data"] = "request body",
        ["post-file"] = "request body",
        ["body-data"] = "request body",
        ["body-file"] = "request body",
        ["https-only"] = "protocol restriction",
        ["xattr"] = "origin URL stored in file metadata",
        ["warc-file"] = "WARC records name the fetched URL",
        ["warc-dedup"] = "WARC records name the fetched URL",
        ["local-encoding"] = "URL re-encoded from another character set",
        ["pinnedpubkey"] = "the origin's key is pinned; the cache-host's bytes are not",
    };

    // wget --help prints these as "--backups=N", "--report-speed=TYPE" and "--restrict-file-names=OS", but wget
    // declares them as booleans with an optional argument: the value is only ever the text after '=', and
    // "--backups 3 URL" fetches "3" as a second URL.
    private static readonly HashSet<string> ValueOnlyAfterEquals = new(StringComparer.Ordinal)
    {
        "backups",
        "report-speed",
        "restrict-file-names",
    };

    // wget's --help and --version have no "--no-" form ("unrecognized option '--no-help'").
    private static readonly HashSet<string> NotNegatable = new(StringComparer.Ordinal) { "help", "version" };

    public static ArgvPlan Plan(IReadOnlyList<string> args)
    {
        // wget refuses a line break in --header and --user-agent but sends --referer as it is: "r\r\nAuthorization: y"
        // starts another header line, which no check on the first line can see.
        foreach (var word in args)
        {
            if (word.AsSpan().IndexOfAny('\r', '\n') >= 0)
            {
                return ArgvPlan.PassThrough("line break in an argument");
            }
        }

        var urls = new List<int>();
        var optionsEnded = false;
        var redirects = new WgetRedirects();
        for (var i = 0; i < args.Count; i++)
        {
            var word = args[i];
            if (optionsEnded || word.Length < 2 || word[0] != '-')
            {
                urls.Add(i);
                continue;
            }

            if (word == "--")
            {
                optionsEnded = true;
                continue;
            }

            string? refusal;
            if (word.StartsWith("--", StringComparison.Ordinal))
            {
                var equals = word.IndexOf('=', StringComparison.Ordinal);
                var name = equals < 0 ? word[2..] : word[2..equals];
                var inline = equals < 0 ? null : word[(equals + 1)..];
                if (Index.FindLong(name) is { } option)
                {
                    if (inline is not null && !option.TakesValue && name.StartsWith("no-", StringComparison.Ordinal))
                    {
                        // Most "--no-NAME" forms are wget's generated negations, which take no value ("--no-verbose=off"
                        // is an error); the two booleans of their own (--no-clobber, --no-parent) are not told apart.
                        return ArgvPlan.PassThrough($"value on a --no- option: {CurlArgvPlanner.Shorten(word)}");
                    }

                    var value = inline;
                    if (option.TakesValue && value is null && !ValueOnlyAfterEquals.Contains(name))
                    {
                        if (i + 1 >= args.Count)
                        {
                            return ArgvPlan.PassThrough($"--{name} has no value");
                        }

                        value = args[++i];
                    }

                    refusal = Apply(option, value, redirects);
                }
                else if (Index.FindNegated(name) is { } negated && !NotNegatable.Contains(negated.Long))
                {
                    if (inline is not null)
                    {
                        return ArgvPlan.PassThrough($"value on a --no- option: {CurlArgvPlanner.Shorten(word)}");
                    }

                    redirects.Negate(negated.Long);
                    refusal = null;
                }
                else
                {
                    return ArgvPlan.PassThrough($"unknown option {CurlArgvPlanner.Shorten(word)}");
                }

                if (refusal is not null)
                {
                    return ArgvPlan.PassThrough(refusal);
                }

                continue;
            }

            if (ShortOptionCluster.Read(args, ref i, FindShort, (option, value) => Apply(option, value, redirects)) is { } clusterRefusal)
            {
                return ArgvPlan.PassThrough(clusterRefusal);
            }
        }

        var plan = UrlPolicy.Choose(args, urls, globOff: true, allowSpaces: true);
        return plan.Outcome != PlanOutcome.Candidate ? plan : plan with { RedirectRefusal = redirects.Refusal };
    }

    // getopt's "-n" takes letters as its value: -nv, -nc, -nd, -nH, -np (wget --help lists them as if they were options).
    private static readonly ToolOption NoLetters = new('n', "-n letters", TakesValue: true);

    private static ToolOption? FindShort(char letter) => letter == 'n' ? NoLetters : Index.FindShort(letter);

    private static string? Apply(ToolOption option, string? value, WgetRedirects redirects)
    {
        if (ReferenceEquals(option, NoLetters))
        {
            return value is { Length: > 0 } letters && letters.AsSpan().IndexOfAnyExcept("vcdHp") < 0
                ? null
                : $"unknown -n option in -n{CurlArgvPlanner.Shorten(value ?? "")}";
        }

        var name = option.Long;
        switch (name)
        {
            case "method":
                return value is "GET" or "HEAD" ? null : $"method {CurlArgvPlanner.Shorten(value ?? "")}";
            case "header":
                return HeaderPolicy.Check(value ?? "");
            case "max-redirect" or "trust-server-names":
                redirects.Apply(name, value);
                return null;
        }

        return PassThrough.TryGetValue(name, out var reason) ? $"--{name}: {reason}" : null;
    }

    /// <summary>
    /// What decides whether wget follows a redirect to the cache-host's store as a download of the same file: it follows
    /// up to 20 by default and names the file after the URL it was given, unless <c>--max-redirect 0</c> (the last one
    /// given wins) or <c>--trust-server-names</c> (the file would be named after the presigned store URL).
    /// </summary>
    private sealed class WgetRedirects
    {
        private bool _maxRedirectZero;
        private bool _trustServerNames;

        public string? Refusal => _maxRedirectZero ? "--max-redirect 0 follows no redirect"
            : _trustServerNames ? "--trust-server-names would name the file after the store's URL"
            : null;

        public void Apply(string name, string? value)
        {
            if (name == "max-redirect")
            {
                _maxRedirectZero = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var most) && most == 0;
            }
            else
            {
                // A boolean: "--trust-server-names", or "=on|off|yes|no|1|0".
                _trustServerNames = value is null || !(value.Equals("off", StringComparison.OrdinalIgnoreCase)
                    || value.Equals("no", StringComparison.OrdinalIgnoreCase) || value == "0");
            }
        }

        public void Negate(string name)
        {
            if (name == "trust-server-names")
            {
                _trustServerNames = false;
            }
        }
    }
}
