namespace WithCache.Shim.Tests.TestSupport;

/// <summary>A fresh directory per use under the system temp folder, removed on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("withcache-test-").FullName;
    }

    public string Path { get; }

    /// <summary>A directory shared by all tests of this run for one purpose (e.g. an empty HOME).</summary>
    public static string Shared(string purpose)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"withcache-test-shared-{Environment.ProcessId}", purpose);
        Directory.CreateDirectory(path);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
