namespace WithCache.Shim;

/// <summary>The shim's only output: one-line messages on stderr, prefixed so they are not taken for the tool's.</summary>
internal static class ShimConsole
{
    public static void Error(string message) => Console.Error.WriteLine("withcache-shim: " + message);
}
