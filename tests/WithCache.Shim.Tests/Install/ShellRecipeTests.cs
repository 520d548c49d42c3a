using WithCache.Shim.Tests.TestSupport;

namespace WithCache.Shim.Tests.Install;

/// <summary>
/// The shadowing recipes of the README, copied out of the doc and run in a real bash over what install.sh
/// installed, with a loopback origin and a loopback cache: a lab script that knows nothing of withcache must get
/// the cache's bytes when the recipe is on, and the origin's when the server is unset.
/// </summary>
[Collection(InstallCollection.Name)]
[Trait("Category", "Aot")]
public sealed class ShellRecipeTests(InstalledShim installed) : IAsyncLifetime
{
    private const string ArtifactPath = "/vendor/toolkit-12.4.run";
    private const string ArtifactName = "toolkit-12.4.run";

    private readonly TempDirectory _work = new();
    private LoopbackServer _origin = null!;
    private TestCache _cache = null!;

    private string Origin => _origin.BaseUrl + ArtifactPath;

    private string Server => $"127.0.0.1:{_cache.Server.Port}";

    public async Task InitializeAsync()
    {
        _origin = await LoopbackServer.StartOriginAsync();
        _cache = await TestCache.StartAsync();
        // The lab's script, unchanged: plain curl and wget, no withcache anywhere.
        var script = Path.Combine(_work.Path, "fetch.sh");
        await File.WriteAllTextAsync(script, $"""
            #!/usr/bin/env bash
            set -euo pipefail
            curl -fsSL {Origin} -o out.bin
            wget -q {Origin}

            """);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public async Task DisposeAsync()
    {
        await _cache.DisposeAsync();
        await _origin.DisposeAsync();
        _work.Dispose();
    }

    [Fact]
    public async Task ThisShellOnly_ServerSet_UnchangedScriptGetsCacheBytesAndOriginSeesNothing()
    {
        _cache.Add(Origin);
        var recipe = ShadowingDoc.Blocks("This shell only", Server)[0];

        var result = await BashAsync(installed.Home, recipe + "command -v curl wget\n./fetch.sh\n");

        AssertSucceeded(result);
        Assert.Equal(ShadowedTools(), Lines(result.StandardOutput));
        Assert.Equal(TestCache.CachedBody(Origin), await ReadAsync("out.bin"));
        Assert.Equal(TestCache.CachedBody(Origin), await ReadAsync(ArtifactName));
        Assert.Equal(2, CountOf(result.StandardError, "withcache-shim: hit: "));
        Assert.Empty(_origin.Requests);
        Assert.Equal(["HEAD", "GET", "HEAD", "GET"], _cache.Server.Requests.Select(r => r.Method));
    }

    [Fact]
    public async Task ThisShellOnly_ServerUnset_UnchangedScriptGetsOriginBytesWithoutProbing()
    {
        _cache.Add(Origin);
        var recipe = ShadowingDoc.Blocks("This shell only", Server)[0];

        var result = await BashAsync(installed.Home, recipe + "unset WITHCACHE_SERVER\ncommand -v curl wget\n./fetch.sh\n");

        AssertSucceeded(result);
        Assert.Equal(ShadowedTools(), Lines(result.StandardOutput));
        Assert.Equal(LoopbackServer.OriginBody(ArtifactPath), await ReadAsync("out.bin"));
        Assert.Equal(LoopbackServer.OriginBody(ArtifactPath), await ReadAsync(ArtifactName));
        Assert.Equal(2, CountOf(result.StandardError, "pass-through: no WITHCACHE_SERVER"));
        Assert.Empty(_cache.Server.Requests);
        Assert.Equal(["GET", "GET"], _origin.Requests.Select(r => r.Method));
    }

    [Fact]
    public async Task ThisShellOnly_Undo_RestoresRealToolsAndUnsetsServer()
    {
        var blocks = ShadowingDoc.Blocks("This shell only", Server);

        var result = await BashAsync(installed.Home,
            blocks[0] + blocks[1] + "command -v curl wget\necho \"server=${WITHCACHE_SERVER-unset}\"\n");

        AssertSucceeded(result);
        Assert.Equal([ShimBinaries.RealCurl, ShimBinaries.RealWget, "server=unset"], Lines(result.StandardOutput));
    }

    [Fact]
    public async Task YourUser_ProfileBlock_LoginShellsHitUntilUndone()
    {
        _cache.Add(Origin);
        // A home of its own, whose ~/.local is the shared install, with a ~/.profile that must survive the undo.
        using var home = new TempDirectory();
        File.CreateSymbolicLink(Path.Combine(home.Path, ".local"), installed.Prefix);
        var profile = Path.Combine(home.Path, ".profile");
        await File.WriteAllTextAsync(profile, "# the user's own lines\nexport EDITOR=vi\n");
        var blocks = ShadowingDoc.Blocks("Your user", Server);

        AssertSucceeded(await BashAsync(home.Path, blocks[0]));
        var on = await BashAsync(home.Path, "command -v curl wget\n./fetch.sh\n", login: true);
        AssertSucceeded(await BashAsync(home.Path, blocks[1]));
        var off = await BashAsync(home.Path, "command -v curl wget\necho \"server=${WITHCACHE_SERVER-unset}\"\n", login: true);

        AssertSucceeded(on);
        Assert.Equal(ShadowedTools(home.Path), Lines(on.StandardOutput));
        Assert.Equal(TestCache.CachedBody(Origin), await ReadAsync("out.bin"));
        Assert.Equal(TestCache.CachedBody(Origin), await ReadAsync(ArtifactName));
        Assert.Empty(_origin.Requests);
        AssertSucceeded(off);
        Assert.Equal(["server=unset"], Lines(off.StandardOutput).Where(l => l.StartsWith("server=", StringComparison.Ordinal)));
        Assert.DoesNotContain(Lines(off.StandardOutput), l => l.Contains("withcache", StringComparison.Ordinal));
        Assert.Equal("# the user's own lines\nexport EDITOR=vi\n", await File.ReadAllTextAsync(profile));
    }

    private string[] ShadowedTools(string? home = null)
    {
        var shadow = home is null ? installed.ShadowDirectory : Path.Combine(home, ".local", "lib", "withcache", "shadow");
        return [Path.Combine(shadow, "curl"), Path.Combine(shadow, "wget")];
    }

    // Besides HOME, the environment only adds what the recipes leave alone: the shim's decisions on stderr for a
    // failure message, and a probe deadline a loaded CI machine cannot miss (these tests are about where the bytes
    // come from, not how fast; the end-to-end tests do the same).
    private Task<ProcessResult> BashAsync(string home, string script, bool login = false) =>
        ProcessRunner.RunAsync("bash", login ? ["-l", "-c", "set -e\n" + script] : ["-c", "set -e\n" + script],
            new Dictionary<string, string?>
            {
                ["HOME"] = home,
                ["WITHCACHE_DEBUG"] = "1",
                ["WITHCACHE_PROBE_TIMEOUT_MS"] = "10000",
            },
            workingDirectory: _work.Path);

    private Task<byte[]> ReadAsync(string name) => File.ReadAllBytesAsync(Path.Combine(_work.Path, name));

    private static int CountOf(string text, string value) => text.Split(value).Length - 1;

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static void AssertSucceeded(ProcessResult result) =>
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\nstdout:\n{result.StandardOutput}\nstderr:\n{result.StandardError}");
}
