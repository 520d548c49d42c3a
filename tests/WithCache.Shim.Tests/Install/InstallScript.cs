using WithCache.Shim.Tests.TestSupport;

namespace WithCache.Shim.Tests.Install;

/// <summary>Runs the repository's <c>install.sh</c> as a user would, with a prefix under a temp folder.</summary>
public static class InstallScript
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Path => System.IO.Path.Combine(RepoRoot, "install.sh");

    /// <summary>
    /// Runs <c>install.sh</c> with <paramref name="args"/>. HOME stays the real one (ProcessRunner would give an
    /// empty one), so the publish finds the NuGet packages the test build restored; the prefix is always explicit.
    /// </summary>
    public static Task<ProcessResult> RunAsync(params string[] args) =>
        ProcessRunner.RunAsync(Path, args,
            new Dictionary<string, string?> { ["HOME"] = Environment.GetEnvironmentVariable("HOME") },
            workingDirectory: RepoRoot,
            timeout: TimeSpan.FromMinutes(10));

    /// <summary>Every entry under <paramref name="root"/> with its kind (and a link's target), to compare trees.</summary>
    public static IReadOnlyList<string> Snapshot(string root) =>
        [.. new DirectoryInfo(root).EnumerateFileSystemInfos("*", SearchOption.AllDirectories)
            .Select(info => System.IO.Path.GetRelativePath(root, info.FullName) + (info switch
            {
                { LinkTarget: { } target } => " -> " + target,
                DirectoryInfo => "/",
                _ => "",
            }))
            .Order(StringComparer.Ordinal)];

    private static string FindRepoRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "WithCache.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no WithCache.slnx above {AppContext.BaseDirectory}");
    }
}
