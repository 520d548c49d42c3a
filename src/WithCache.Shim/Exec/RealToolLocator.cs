namespace WithCache.Shim.Exec;

/// <summary>
/// Finds the real curl or wget: <c>$REAL_CURL</c>/<c>$REAL_WGET</c> when set, else the first executable of that
/// name on PATH that is neither this binary nor a shim already in the chain (paths compared after resolving links).
/// </summary>
internal static class RealToolLocator
{
    public static string? Find(ToolKind tool, string? selfPath, string chain)
    {
        var overrideVariable = tool == ToolKind.Curl ? "REAL_CURL" : "REAL_WGET";
        if (Environment.GetEnvironmentVariable(overrideVariable) is { Length: > 0 } explicitPath)
        {
            return explicitPath;
        }

        var name = tool == ToolKind.Curl ? "curl" : "wget";
        var self = selfPath is null ? null : Libc.FindRealPath(selfPath);
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        foreach (var directory in path.Split(':'))
        {
            // An empty PATH entry means the current directory, as execvp reads it.
            var candidate = Path.Join(directory.Length == 0 ? "." : directory, name);
            if (Libc.Access(candidate, Libc.XOk) != 0 || Directory.Exists(candidate))
            {
                continue;
            }

            var resolved = Libc.FindRealPath(candidate);
            if (resolved is null || resolved == self || IsInChain(chain, resolved))
            {
                continue;
            }

            return candidate;
        }

        return null;
    }

    public static string ExtendChain(string chain, string? selfPath)
    {
        var self = selfPath is null ? null : Libc.FindRealPath(selfPath);
        return self is null || IsInChain(chain, self) ? chain : chain.Length == 0 ? self : chain + ":" + self;
    }

    private static bool IsInChain(string chain, string resolved)
    {
        foreach (var entry in chain.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (entry == resolved)
            {
                return true;
            }
        }

        return false;
    }
}
