using System.Text.Json;
using WithCache.Core;
using WithCache.Shim.Planning;

namespace WithCache.Shim.Tests.Planning;

/// <summary>Reads the jsonl corpora beside the tests and checks a plan against one of their rows.</summary>
internal static class PlanningCorpus
{
    /// <summary>The server base every <c>{fetch}</c> of the corpora stands for.</summary>
    public const string ServerBase = "http://cache.test:3000";

    public static IReadOnlyList<CorpusRow> Read(string fileName)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Planning", "Corpus", fileName);
        var rows = new List<CorpusRow>();
        var line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (text.Length > 0)
            {
                rows.Add(Parse(fileName, line, text));
            }
        }

        return rows;
    }

    /// <summary>Theory data: the row's line number and its argv as one readable string.</summary>
    public static TheoryData<int, string> Rows(string fileName)
    {
        var data = new TheoryData<int, string>();
        foreach (var row in Read(fileName))
        {
            data.Add(row.Line, Display(row.Argv));
        }

        return data;
    }

    public static CorpusRow Row(string fileName, int line) => Read(fileName).Single(row => row.Line == line);

    public static void AssertPlan(CorpusRow row, ArgvPlan plan)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(plan);
        var argv = Display(row.Argv);
        if (!row.IsCandidate)
        {
            Assert.True(plan.Outcome == PlanOutcome.PassThrough, $"{argv}: expected a pass-through ({row.Reason}), got {plan}");
            Assert.Contains(row.Reason!, plan.Reason, StringComparison.Ordinal);
            return;
        }

        Assert.True(plan.Outcome == PlanOutcome.Candidate, $"{argv}: expected a candidate, got {plan}");
        var rewritten = row.Rewritten!;
        var urlIndex = Array.IndexOf(rewritten, CorpusRow.FetchPlaceholder);
        Assert.Equal(urlIndex, plan.UrlIndex);
        Assert.True(OriginUrl.TryParse(row.Argv[urlIndex], out var origin, out var error), error?.Reason);
        Assert.Equal(origin, plan.Origin);

        var fetch = FetchUrl.Build(ServerBase, origin);
        var expected = rewritten.Select(word => word == CorpusRow.FetchPlaceholder ? fetch : word).ToArray();
        Assert.Equal(expected, plan.Rewrite(row.Argv, fetch));
    }

    public static string Display(IEnumerable<string> argv) =>
        string.Join(' ', argv.Select(word => word.Length > 0 && word.All(c => c > ' ' && c is not ('"' or '\'' or '\\'))
            ? word
            : JsonSerializer.Serialize(word)));

    private static CorpusRow Parse(string fileName, int line, string text)
    {
        using var document = JsonDocument.Parse(text);
        var root = document.RootElement;
        var argv = Words(root, "argv") ?? throw Malformed(fileName, line, "no argv");
        foreach (var word in argv)
        {
            if (word.Contains('\n', StringComparison.Ordinal) || word.Contains('\u001f', StringComparison.Ordinal))
            {
                throw Malformed(fileName, line, "an argv word holds a newline or U+001F");
            }
        }

        var outcome = root.TryGetProperty("outcome", out var value) ? value.GetString() : null;
        switch (outcome)
        {
            case "candidate":
                var rewritten = Words(root, "rewritten") ?? throw Malformed(fileName, line, "a candidate needs rewritten");
                if (rewritten.Length != argv.Length || rewritten.Count(w => w == CorpusRow.FetchPlaceholder) != 1)
                {
                    throw Malformed(fileName, line, "rewritten must be the argv with exactly one word {fetch}");
                }

                return new CorpusRow(line, argv, IsCandidate: true, Reason: null, rewritten);
            case "pass-through":
                var reason = root.TryGetProperty("reason", out var r) ? r.GetString() : null;
                return string.IsNullOrEmpty(reason)
                    ? throw Malformed(fileName, line, "a pass-through needs a reason")
                    : new CorpusRow(line, argv, IsCandidate: false, reason, Rewritten: null);
            default:
                throw Malformed(fileName, line, $"unknown outcome '{outcome}'");
        }
    }

    private static string[]? Words(JsonElement root, string property) =>
        root.TryGetProperty(property, out var array) && array.ValueKind == JsonValueKind.Array
            ? [.. array.EnumerateArray().Select(word => word.GetString() ?? "")]
            : null;

    private static InvalidDataException Malformed(string fileName, int line, string why) =>
        new($"{fileName}:{line}: {why}");
}
