using WithCache.Shim.Tests.TestSupport;

namespace WithCache.Shim.Tests.Install;

/// <summary>
/// One <c>install.sh --prefix HOME/.local --shadow</c> for the whole collection, HOME being a fresh temp folder: the
/// docs' recipes say <c>$HOME/.local</c>, so running them with this HOME runs them as written. The real ~/.local is
/// never touched.
/// </summary>
public sealed class InstalledShim : IAsyncLifetime
{
    private readonly TempDirectory _root = new();

    public string Home => System.IO.Path.Combine(_root.Path, "home");

    public string Prefix => System.IO.Path.Combine(Home, ".local");

    public string BinDirectory => System.IO.Path.Combine(Prefix, "bin");

    public string ShadowDirectory => System.IO.Path.Combine(Prefix, "lib", "withcache", "shadow");

    public string Binary => System.IO.Path.Combine(Prefix, "lib", "withcache", "withcache-shim");

    public ProcessResult Result { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Home);
        Result = await InstallScript.RunAsync("--prefix", Prefix, "--shadow");
        if (Result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"install.sh exited {Result.ExitCode}\nstdout:\n{Result.StandardOutput}\nstderr:\n{Result.StandardError}");
        }
    }

    public Task DisposeAsync()
    {
        _root.Dispose();
        return Task.CompletedTask;
    }
}
