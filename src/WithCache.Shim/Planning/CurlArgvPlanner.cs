using System.Globalization;

namespace WithCache.Shim.Planning;

/// <summary>
/// Reads a curl argv the way curl 7.88's own parser does (tool_getparam.c): short options cluster until one that
/// takes a value (its value is the rest of the word or the next word), long options are exact names with the value
/// in the next word (curl has no <c>--opt=value</c> form), <c>--no-NAME</c> negates a boolean, <c>--</c> ends the
/// options, and every other word is a URL. The policy is the design's: rewrite only a plain GET/HEAD download of
/// one http(s) URL with no body, no credentials, no proxy and no config file; anything else or unknown passes through.
/// </summary>
internal static class CurlArgvPlanner
{
    private static readonly OptionIndex Index = new(CurlOptionTable.Options);

    // Long name -> why a command with this option is left alone. Options not listed (and not handled in Apply)
    // change only how curl transfers or saves, which applies the same to the cache as to the origin.
    private static readonly Dictionary<string, string> PassThrough = new(StringComparer.Ordinal)
    {
        ["help"] = "not a download",
        ["manual"] = "not a download",
        ["version"] = "not a download",
        ["data"] = "request body",
        ["data-ascii"] = "request body",
        ["data-binary"] = "request body",
        ["data-raw"] = "request body",
        ["data-urlencode"] = "request body",
        ["json"] = "request body",
        ["form"] = "request body",
        ["form-string"] = "request body",
        ["upload-file"] = "upload",
        ["url-query"] = "option changes the URL",
        ["request-target"] = "option changes the URL",
        ["config"] = "config file may hide the URL or credentials",
        ["next"] = "several transfers",
        ["metalink"] = "URL is a metalink document",
        ["user"] = "client credentials",
        ["oauth2-bearer"] = "client credentials",
        ["netrc"] = "client credentials",
        ["netrc-file"] = "client credentials",
        ["netrc-optional"] = "client credentials",
        ["cookie"] = "cookies may carry credentials",
        ["aws-sigv4"] = "client credentials",
        ["cert"] = "client certificate",
        ["key"] = "client certificate",
        ["pass"] = "client certificate",
        ["ssl-auto-client-cert"] = "client certificate",
        ["tlsuser"] = "client credentials",
        ["tlspassword"] = "client credentials",
        ["tlsauthtype"] = "client credentials",
        ["negotiate"] = "client credentials",
        ["ntlm"] = "client credentials",
        ["ntlm-wb"] = "client credentials",
        ["digest"] = "client credentials",
        ["basic"] = "client credentials",
        ["anyauth"] = "client credentials",
        ["delegation"] = "client credentials",
        ["krb"] = "client credentials",
        ["service-name"] = "client credentials",
        ["login-options"] = "client credentials",
        ["sasl-authzid"] = "client credentials",
        ["preproxy"] = "proxy",
        ["proxytunnel"] = "proxy",
        ["unix-socket"] = "connection goes to a socket, not the URL's host",
        ["abstract-unix-socket"] = "connection goes to a socket, not the URL's host",
        ["connect-to"] = "connection re-routed",
        ["resolve"] = "connection re-routed",
        ["doh-url"] = "private name resolution",
        ["dns-servers"] = "private name resolution",
        ["haproxy-protocol"] = "connection preamble",
        ["http2-prior-knowledge"] = "protocol forced",
        ["http3"] = "protocol forced",
        ["http3-only"] = "protocol forced",
        ["proto"] = "protocol restriction",
        ["remote-header-name"] = "file name from the origin's Content-Disposition",
        ["xattr"] = "origin URL stored in file metadata",
        ["etag-compare"] = "origin ETag file",
        ["etag-save"] = "origin ETag file",
        ["pinnedpubkey"] = "the origin's key is pinned; the cache-host's bytes are not",
    };

    // Booleans curl 7.88 declares without a "no-" form: "--no-http2" is an error there ("used '--no-' for option
    // that isn't a boolean", or "badly used" for --no-metalink), so the planner treats it as an unknown option.
    private static readonly HashSet<string> NotNegatable = new(StringComparer.Ordinal)
    {
        "http1.0", "http1.1", "http2", "http2-prior-knowledge", "http3", "http3-only", "ipv4", "ipv6", "metalink",
        "next", "proxy-tlsv1", "sslv2", "sslv3", "tlsv1", "tlsv1.0", "tlsv1.1", "tlsv1.2", "tlsv1.3",
    };

    public static ArgvPlan Plan(IReadOnlyList<string> args)
    {
        // curl sends -H, -A, -e and -r values as they are: a line break starts another header line
        // ("Accept: x\r\nAuthorization: y"), which no check on the first line can see.
        foreach (var word in args)
        {
            if (word.AsSpan().IndexOfAny('\r', '\n') >= 0)
            {
                return ArgvPlan.PassThrough("line break in an argument");
            }
        }

        var urls = new List<int>();
        var flags = default(CurlFlags);
        var optionsEnd = -1;
        for (var i = 0; i < args.Count; i++)
        {
            var word = args[i];
            if (optionsEnd >= 0 || word.Length < 2 || word[0] != '-')
            {
                urls.Add(i);
                continue;
            }

            if (word == "--")
            {
                optionsEnd = i;
                continue;
            }

            string? refusal;
            if (word.StartsWith("--", StringComparison.Ordinal))
            {
                var name = word[2..];
                if (Index.FindLong(name) is { } option)
                {
                    string? value = null;
                    if (option.TakesValue)
                    {
                        if (i + 1 >= args.Count)
                        {
                            return ArgvPlan.PassThrough($"--{name} has no value");
                        }

                        value = args[++i];
                        if (option.Long == "url")
                        {
                            urls.Add(i);
                            continue;
                        }
                    }

                    refusal = Apply(option, value, negated: false, ref flags);
                }
                else if (Index.FindNegated(name) is { } negated && !NotNegatable.Contains(negated.Long))
                {
                    refusal = Apply(negated, null, negated: true, ref flags);
                }
                else
                {
                    return ArgvPlan.PassThrough(name.Contains('=', StringComparison.Ordinal)
                        ? $"curl has no --option=value form: {Shorten(word)}"
                        : $"unknown option {Shorten(word)}");
                }

                if (refusal is not null)
                {
                    return ArgvPlan.PassThrough(refusal);
                }

                continue;
            }

            if (ShortOptionCluster.Read(args, ref i, Index.FindShort, (option, value) => Apply(option, value, negated: false, ref flags)) is { } clusterRefusal)
            {
                return ArgvPlan.PassThrough(clusterRefusal);
            }
        }

        var plan = UrlPolicy.Choose(args, urls, flags.GlobOff, allowSpaces: false);

        // curl -O with no file name in the URL ("https://h/dir/") refuses before it sends anything: probing (and
        // queueing a fill for) a download that will not happen helps nobody.
        if (flags.RemoteName && plan.Origin is { LastSegment: "" })
        {
            return ArgvPlan.PassThrough("-O and the URL has no file name");
        }

        return plan.Outcome != PlanOutcome.Candidate ? plan : plan with
        {
            // A redirect to the store is followed with --location; curl keeps the -O name of the URL it was given.
            NeedsLocation = !flags.Location,
            OptionsEnd = optionsEnd,
            RedirectRefusal = flags.MaxRedirsZero ? "--max-redirs 0 follows no redirect"
                : flags.ProtoRedir ? "--proto-redir may refuse the store's scheme"
                : flags.Include ? "-i would write the redirect's headers into the output as well"
                : null,
        };
    }

    private static string? Apply(ToolOption option, string? value, bool negated, ref CurlFlags flags)
    {
        var name = option.Long;
        if (negated)
        {
            // "--no-globoff" turns globbing back on; other negations only switch a behaviour off.
            if (name == "globoff")
            {
                flags.GlobOff = false;
            }
            else if (name == "remote-name-all")
            {
                flags.RemoteName = false;
            }
            else if (name is "location" or "location-trusted")
            {
                flags.Location = false;
            }
            else if (name == "include")
            {
                flags.Include = false;
            }

            return null;
        }

        switch (name)
        {
            case "globoff":
                flags.GlobOff = true;
                return null;
            case "remote-name" or "remote-name-all":
                flags.RemoteName = true;
                return null;
            case "location" or "location-trusted":
                flags.Location = true;
                return null;
            case "max-redirs":
                flags.MaxRedirsZero = long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var most) && most == 0;
                return null;
            case "proto-redir":
                flags.ProtoRedir = true;
                return null;
            case "include":
                flags.Include = true;
                return null;
            case "request":
                return value is "GET" or "HEAD" ? null : $"method {Shorten(value ?? "")}";
            case "header":
                return HeaderPolicy.Check(value ?? "");
        }

        if (name.StartsWith("proxy", StringComparison.Ordinal) || name.StartsWith("socks", StringComparison.Ordinal))
        {
            return "proxy";
        }

        return PassThrough.TryGetValue(name, out var reason) ? $"--{name}: {reason}" : null;
    }

    internal static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "...";
}
