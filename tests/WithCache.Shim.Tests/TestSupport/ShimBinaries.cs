using System.Reflection;

namespace WithCache.Shim.Tests.TestSupport;

/// <summary>
/// Where the shims under test are: the NativeAOT binary the test build publishes to artifacts/shim/, linked as
/// curl, wget, curlwithcache and wgetwithcache in a bin directory of its own; and the managed build beside the tests.
/// </summary>
public static class ShimBinaries
{
    private static readonly Lazy<string> LinkDirectory = new(CreateLinks);

    public static string AotPath => typeof(ShimBinaries).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "ShimAotPath").Value ?? throw new InvalidOperationException("no ShimAotPath metadata");

    public static string ManagedDllPath => System.IO.Path.Combine(AppContext.BaseDirectory, "withcache-shim.dll");

    /// <summary>A directory holding curl, wget, curlwithcache and wgetwithcache links to the AOT binary.</summary>
    public static string BinDirectory => LinkDirectory.Value;

    public static string RealCurl => FindOnPath("curl");

    public static string RealWget => FindOnPath("wget");

    /// <summary>PATH with the shim links first, so "curl" and "wget" resolve to the shim and the real tools come after.</summary>
    public static string ShadowingPath => BinDirectory + ":" + Environment.GetEnvironmentVariable("PATH");

    private static string CreateLinks()
    {
        if (!File.Exists(AotPath))
        {
            throw new InvalidOperationException($"the AOT shim is missing at {AotPath}: build the test project to publish it");
        }

        var directory = TempDirectory.Shared("bin");
        foreach (var name in new[] { "curl", "wget", "curlwithcache", "wgetwithcache" })
        {
            var link = System.IO.Path.Combine(directory, name);
            if (!File.Exists(link))
            {
                File.CreateSymbolicLink(link, AotPath);
            }
        }

        return directory;
    }

    private static string FindOnPath(string name)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
        {
            var candidate = System.IO.Path.Combine(directory, name);
            if (File.Exists(candidate) && !candidate.StartsWith(TempDirectory.Shared("bin"), StringComparison.Ordinal))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"{name} is not installed: .ci/run installs it");
    }
}
