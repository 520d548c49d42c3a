namespace WithCache.Shim;

internal static class Program
{
    private static int Main(string[] args)
    {
        // The tool is chosen by the name the binary is called as (curl, curlwithcache, wget, wgetwithcache);
        // a managed build runs as "dotnet withcache-shim.dll" and names its tool in WITHCACHE_SHIM_TOOL.
        var tool = ToolNames.Find(Path.GetFileName(Environment.GetCommandLineArgs()[0]))
            ?? ToolNames.Find(Environment.GetEnvironmentVariable("WITHCACHE_SHIM_TOOL"));
        return tool is { } kind ? ShimRun.Run(kind, args) : ShimCommands.Run(args);
    }
}
