using WithCache.Core;

namespace WithCache.Shim.Planning;

/// <summary>The checks on the URL words both planners found: exactly one, http(s), nothing the tool would rewrite.</summary>
internal static class UrlPolicy
{
    public static ArgvPlan Choose(IReadOnlyList<string> args, List<int> urls, bool globOff, bool allowSpaces)
    {
        if (urls.Count == 0)
        {
            return ArgvPlan.PassThrough("no URL");
        }

        if (urls.Count > 1)
        {
            return ArgvPlan.PassThrough("more than one URL");
        }

        var index = urls[0];
        var text = args[index];
        if (!OriginUrl.TryParse(text, out var origin, out var error))
        {
            return ArgvPlan.PassThrough(
                error.Kind == ProtocolErrorKind.HasCredentials ? "credentials in the URL" : $"URL: {error.Reason}");
        }

        return Check(origin, globOff, allowSpaces) is { } refusal
            ? ArgvPlan.PassThrough(refusal)
            : new ArgvPlan(PlanOutcome.Candidate, "plain download", index, origin);
    }

    private static string? Check(OriginUrl origin, bool globOff, bool allowSpaces)
    {
        var text = origin.Text;

        if (!globOff && text.AsSpan().IndexOfAny("[]{}") >= 0)
        {
            return "URL globbing";
        }

        if (!allowSpaces && text.Contains(' ', StringComparison.Ordinal))
        {
            return "space in the URL";
        }

        if (origin.HasDotSegments)
        {
            return "dot segments in the URL path";
        }

        return null;
    }
}
