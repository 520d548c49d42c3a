using CsCheck;
using WithCache.Core.Tests.TestSupport;
using WithCache.Shim.Planning;

namespace WithCache.Shim.Tests.Planning;

/// <summary>
/// CsCheck generators of curl and wget argvs from the real option names of the tables: long options with the value
/// in the next word (and wget's <c>--opt=value</c>), <c>--no-</c> negations, short clusters with the value glued or
/// in the next word, <c>--</c>, URLs and stray words; and the same argvs with garbage put in, taken out or cut off.
/// </summary>
internal static class ArgvGen
{
    // wget declares these as booleans with an optional argument: the value is only ever the text after '=' (see
    // WgetArgvPlanner), so "--backups URL" would make URL a URL, not a value.
    private static readonly HashSet<string> WgetValueOnlyAfterEquals = new(StringComparer.Ordinal)
    {
        "backups", "report-speed", "restrict-file-names",
    };

    private static readonly Gen<string> Url = Gen.Frequency(
        (6, OriginGen.Origin.Select(origin => origin.Text)),
        (3, Gen.OneOf("https://h.example/x.tgz", "http://h.example/dir/", "https://h.example/f.run?sig=a%2Fb#frag", "https://H.example:443/Ä.bin")),
        (1, Gen.OneOf(
            "ftp://h.example/f", "h.example/x", "file:///etc/passwd", "https://user:pw@h.example/x",
            "https://h.example/{a,b}", "https://h.example/a/../b", "https://h.example/a b", "http://")));

    // Option values: plain words, ones the planner weighs (headers, methods), URLs (a proxy, a referer, an output
    // name), words that look like options, and the empty word.
    private static readonly Gen<string> Value = Gen.Frequency(
        (4, Gen.OneOf("1", "out.bin", "/tmp/x", "Accept: */*", "User-Agent: a", "Range: bytes=0-9", "GET", "HEAD", "POST", "Authorization: Bearer t", "@headers.txt", "")),
        (2, Url),
        (1, Gen.OneOf("-", "--", "-o", "--url", "-O", "-fsSL")),
        (1, Gen.String[Gen.Char[" !#$%&'()*+,-./0123456789:;<=>?@ABCZ[]^_`abcz{|}~"], 0, 12]));

    // Words the tool reads as URLs that are not one: a file name, the empty word, a lone dash.
    private static readonly Gen<string> Stray = Gen.OneOf("file.txt", "", "-", "x y", "é");

    private static readonly Gen<string> Garbage = Gen.Frequency(
        (3, OriginGen.AnyText),
        (2, Gen.String[OriginGen.AnyChar, 0, 8].Select(text => "-" + text)),
        (2, Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyz-=.0123456789"], 0, 16].Select(text => "--" + text)),
        (1, Gen.OneOf("-", "--", "---", "--=", "-=", "\r\n", "-H\nAuthorization: x", "--no-", "--no-no-buffer")));

    public static Gen<GeneratedArgv> Curl { get; } = WellFormed(CurlOptionTable.Options, curl: true);

    public static Gen<GeneratedArgv> Wget { get; } = WellFormed(WgetOptionTable.Options, curl: false);

    /// <summary>A well-formed argv with garbage words put in, words taken out or replaced, or the argv cut short.</summary>
    public static Gen<string[]> Mangled(Gen<GeneratedArgv> argvs) =>
        Gen.Select(argvs, Gen.Int[0, 3].Array[1, 3], Gen.Int[0, int.MaxValue].Array[3], Garbage.Array[3], (argv, operations, positions, garbage) =>
        {
            var words = argv.Args.ToList();
            for (var k = 0; k < operations.Length; k++)
            {
                var at = words.Count == 0 ? 0 : positions[k] % words.Count;
                switch (operations[k])
                {
                    case 0:
                        words.Insert(at, garbage[k]);
                        break;
                    case 1 when words.Count > 0:
                        words[at] = garbage[k];
                        break;
                    case 2 when words.Count > 0:
                        words.RemoveAt(at);
                        break;
                    default:
                        words.RemoveRange(at, words.Count - at);
                        break;
                }
            }

            return words.ToArray();
        });

    private static Gen<GeneratedArgv> WellFormed(ToolOption[] table, bool curl)
    {
        var option = OptionPart(table, curl);
        var urlPart = curl
            ? Gen.Frequency((4, Url.Select(url => Words((url, true)))), (1, Url.Select(url => Words(("--url", false), (url, true)))))
            : Url.Select(url => Words((url, true)));
        var urlParts = Gen.Frequency((3, Gen.Const(0)), (12, Gen.Const(1)), (2, Gen.Const(2))).SelectMany(count => urlPart.Array[count]);
        var afterEnd = Gen.Frequency((3, Url), (1, Stray), (1, Gen.OneOf("-o", "--url", "-"))).Array[0, 2];
        return Gen.Select(
            option.Array[0, 5],
            urlParts,
            Gen.Frequency((6, Gen.Const(Array.Empty<string>())), (1, Stray.Array[1])),
            Gen.Int[0, int.MaxValue].Array[3],
            Gen.Frequency((5, Gen.Const((string[]?)null)), (1, afterEnd.Select(words => (string[]?)words))),
            (options, urls, strays, positions, end) =>
            {
                var parts = options.ToList();
                var inserted = urls.Concat(strays.Select(word => Words((word, true)))).ToArray();
                for (var k = 0; k < inserted.Length; k++)
                {
                    parts.Insert(positions[k % positions.Length] % (parts.Count + 1), inserted[k]);
                }

                if (end is not null)
                {
                    parts.Add(Words(("--", false)));
                    parts.Add([.. end.Select(word => (word, true))]);
                }

                var words = parts.SelectMany(part => part).ToArray();
                return new GeneratedArgv([.. words.Select(word => word.Item1)], [.. words.Select(word => word.Item2)]);
            });
    }

    // One option as the tool takes it, with its value where it has one. No word of it is read as a URL but the
    // value of curl's --url.
    private static Gen<(string, bool)[]> OptionPart(ToolOption[] table, bool curl)
    {
        var flags = table.Where(option => !option.TakesValue).Select(option => option.Short).OfType<char>().ToArray();
        var cluster = flags.Length == 0 ? Gen.Const("") : Gen.String[Gen.Char[new string(flags)], 0, 3];
        var parts = Gen.OneOf(table).SelectMany(option => Gen.Select(Gen.Int[0, 3], Value, cluster, Gen.Bool, (form, value, flagsBefore, glued) =>
            (form, option) switch
            {
                (0, { Short: { } letter, TakesValue: false }) => Words(("-" + flagsBefore + letter, false)),
                (0, { Short: { } letter }) when glued && value.Length > 0 => Words(("-" + flagsBefore + letter + value, false)),
                (0, { Short: { } letter }) => Words(("-" + flagsBefore + letter, false), (value, false)),
                (1, { TakesValue: false }) => Words(("--no-" + option.Long, false)),
                (2, _) when !curl && (!option.TakesValue || value.Length > 0 || WgetValueOnlyAfterEquals.Contains(option.Long)) =>
                    Words(("--" + option.Long + "=" + (option.TakesValue ? value : "on"), false)),
                (_, { TakesValue: false }) => Words(("--" + option.Long, false)),
                _ when !curl && WgetValueOnlyAfterEquals.Contains(option.Long) => Words(("--" + option.Long + "=" + value, false)),
                _ => Words(("--" + option.Long, false), (value, curl && option.Long == "url")),
            }));
        return curl ? parts : Gen.Frequency((12, parts), (1, Gen.OneOf("-nv", "-nc", "-nd", "-nH", "-np", "-nvc").Select(word => Words((word, false)))));
    }

    private static (string, bool)[] Words(params (string Word, bool ReadAsUrl)[] words) => words;
}
