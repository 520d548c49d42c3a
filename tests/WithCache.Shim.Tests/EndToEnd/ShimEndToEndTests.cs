using System.Net.Sockets;
using WithCache.Shim.Tests.TestSupport;

namespace WithCache.Shim.Tests.EndToEnd;

/// <summary>
/// The NativeAOT shim linked as curl and wget first on PATH, the real tools behind it, a loopback origin and a
/// loopback test cache: what a lab's unchanged script sees.
/// </summary>
[Trait("Category", "Aot")]
public sealed class ShimEndToEndTests : IAsyncLifetime
{
    private LoopbackServer _origin = null!;
    private TestCache _cache = null!;

    public async Task InitializeAsync()
    {
        _origin = await LoopbackServer.StartOriginAsync();
        _cache = await TestCache.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _cache.DisposeAsync();
        await _origin.DisposeAsync();
    }

    // tool, argv before the URL ({dir} is replaced by a sub-folder name), path of the origin URL
    public static TheoryData<string, string[], string> HitNamingCases()
    {
        var paths = new[]
        {
            "/files/plain.tar.gz",
            "/files/a%20b%2Bc.tar.gz",
            "/files/%C3%BCn%C3%AF.bin",
            "/files/ünï-файл.bin",
            "/files/query.bin?x=1&y=two",
            "/files/dir/",
            "/files/frag.bin#part",
            "/files/semi;v=1.bin",
        };
        var curlForms = new[]
        {
            new[] { "-sS", "-O" },
            new[] { "-fsSLO" },
            new[] { "-s", "--remote-name-all" },
            new[] { "-s", "--create-dirs", "--output-dir", "{dir}", "-O" },
            new[] { "-s", "-o", "named.out" },
            new[] { "-so", "{dir}-named.out" },
        };
        var wgetForms = new[]
        {
            new[] { "-q" },
            new[] { "-q", "-P", "{dir}" },
            new[] { "-q", "-O", "named.out" },
            new[] { "-nv", "--tries=2", "-c" },
        };
        var data = new TheoryData<string, string[], string>();
        foreach (var path in paths)
        {
            foreach (var form in curlForms)
            {
                data.Add("curl", form, path);
            }

            foreach (var form in wgetForms)
            {
                data.Add("wget", form, path);
            }
        }

        // wget accepts a literal space and encodes it itself; curl refuses such a URL (exit 3) either way.
        data.Add("wget", ["-q"], "/files/my file.bin");
        data.Add("curl", ["-sS", "-O"], "/files/my file.bin");
        return data;
    }

    [Theory]
    [MemberData(nameof(HitNamingCases))]
    public async Task Hit_AnyNamingForm_SavesSameFileNameAsOriginWithCacheBytes(string tool, string[] form, string path)
    {
        var origin = _origin.BaseUrl + path;
        _cache.Add(origin);
        using var direct = new TempDirectory();
        using var shimmed = new TempDirectory();
        var args = form.Select(a => a.Replace("{dir}", "sub", StringComparison.Ordinal)).Append(origin).ToArray();

        var expected = await ProcessRunner.RunAsync(tool == "curl" ? ShimBinaries.RealCurl : ShimBinaries.RealWget, args, workingDirectory: direct.Path);
        var originRequestsBefore = _origin.Requests.Count;
        var actual = await RunShimAsync(tool, args, shimmed.Path, _cache.BaseUrl);

        Assert.True(expected.ExitCode == actual.ExitCode,
            $"exit {expected.ExitCode} direct vs {actual.ExitCode} via shim\ndirect stderr: {expected.StandardError}\nshim stderr: {actual.StandardError}");
        var expectedFiles = ListFiles(direct.Path);
        Assert.Equal(expectedFiles, ListFiles(shimmed.Path));
        // curl refuses a URL with a space, and -O with no file name in the URL: the shim leaves both to curl.
        var remoteName = tool == "curl" && form.Any(f => f is "-O" or "--remote-name-all" || (f.StartsWith('-') && !f.StartsWith("--", StringComparison.Ordinal) && f.Contains('O', StringComparison.Ordinal)));
        var noFileName = path.Split('?', '#')[0].EndsWith('/');
        var candidate = (!path.Contains(' ', StringComparison.Ordinal) || tool == "wget") && !(remoteName && noFileName);
        if (!candidate)
        {
            Assert.Contains("pass-through", actual.StandardError, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("hit:", actual.StandardError, StringComparison.Ordinal);
            Assert.Equal(originRequestsBefore, _origin.Requests.Count);
            foreach (var file in expectedFiles)
            {
                Assert.Equal(TestCache.CachedBody(origin), await File.ReadAllBytesAsync(Path.Combine(shimmed.Path, file)));
            }

            Assert.Contains(_cache.Server.Requests, r => r.Method == "HEAD");
        }
    }

    [Theory]
    [InlineData("curl", new[] { "-fsS", "-O" })]
    [InlineData("wget", new[] { "-q" })]
    public async Task Miss_CacheAnswers404_DownloadsFromOrigin(string tool, string[] form)
    {
        using var work = new TempDirectory();
        var origin = _origin.BaseUrl + "/files/not-cached.bin";

        var result = await RunShimAsync(tool, [.. form, origin], work.Path, _cache.BaseUrl);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("miss: 404", result.StandardError, StringComparison.Ordinal);
        Assert.Equal(LoopbackServer.OriginBody("/files/not-cached.bin"), await File.ReadAllBytesAsync(Path.Combine(work.Path, "not-cached.bin")));
        Assert.Equal(["HEAD"], _cache.Server.Requests.Select(r => r.Method));
        Assert.Equal(["GET /files/not-cached.bin"], _origin.Requests.Select(r => r.Method + " " + r.RawTarget));
    }

    [Theory]
    [InlineData("curl", new[] { "-fsS", "-O" })]
    [InlineData("wget", new[] { "-q" })]
    public async Task CacheDown_RefusedPort_DownloadsFromOrigin(string tool, string[] form)
    {
        using var work = new TempDirectory();
        var origin = _origin.BaseUrl + "/files/refused.bin";

        var result = await RunShimAsync(tool, [.. form, origin], work.Path, $"127.0.0.1:{DeadPorts.Refusing()}");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("cache unreachable", result.StandardError, StringComparison.Ordinal);
        Assert.Equal(LoopbackServer.OriginBody("/files/refused.bin"), await File.ReadAllBytesAsync(Path.Combine(work.Path, "refused.bin")));
    }

    [Theory]
    [InlineData("curl", new[] { "-fsS", "-O" })]
    [InlineData("wget", new[] { "-q" })]
    public async Task CacheDown_SilentPort_GivesUpAfterProbeTimeoutAndDownloadsFromOrigin(string tool, string[] form)
    {
        using var work = new TempDirectory();
        using var silent = DeadPorts.Silent();
        var origin = _origin.BaseUrl + "/files/silent.bin";
        var port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;

        var result = await RunShimAsync(tool, [.. form, origin], work.Path, $"127.0.0.1:{port}",
            new() { ["WITHCACHE_PROBE_TIMEOUT_MS"] = "300" });

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("cache timed out", result.StandardError, StringComparison.Ordinal);
        Assert.Equal(LoopbackServer.OriginBody("/files/silent.bin"), await File.ReadAllBytesAsync(Path.Combine(work.Path, "silent.bin")));
        // The probe has one deadline; a generous bound only proves it did not wait for the tools' own timeouts.
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(10), $"took {result.Elapsed}");
    }

    [Theory]
    [InlineData("curl", new[] { "-fsS", "-O" })]
    [InlineData("wget", new[] { "-q" })]
    public async Task NoServerVariable_CachedOrigin_PassesThroughWithoutProbing(string tool, string[] form)
    {
        using var work = new TempDirectory();
        var origin = _origin.BaseUrl + "/files/unset.bin";
        _cache.Add(origin);

        var result = await RunShimAsync(tool, [.. form, origin], work.Path, server: null);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("no WITHCACHE_SERVER", result.StandardError, StringComparison.Ordinal);
        Assert.Empty(_cache.Server.Requests);
        Assert.Equal(LoopbackServer.OriginBody("/files/unset.bin"), await File.ReadAllBytesAsync(Path.Combine(work.Path, "unset.bin")));
    }

    [Theory]
    [InlineData("curl", new[] { "-fsS", "-o", "out" }, 22)]
    [InlineData("curl", new[] { "-sS", "-o", "out" }, 0)]
    [InlineData("curl", new[] { "-fsSL", "--retry", "0", "-o", "out" }, 22)]
    [InlineData("wget", new[] { "-q", "-O", "out" }, 8)]
    [InlineData("wget", new[] { "-nv", "-O", "out" }, 8)]
    public async Task OriginNotFound_ViaShim_ExitCodeEqualsRealTool(string tool, string[] form, int exitCode)
    {
        using var direct = new TempDirectory();
        using var shimmed = new TempDirectory();
        string[] args = [.. form, _origin.BaseUrl + "/missing/gone.bin"];

        var expected = await ProcessRunner.RunAsync(tool == "curl" ? ShimBinaries.RealCurl : ShimBinaries.RealWget, args, workingDirectory: direct.Path);
        var actual = await RunShimAsync(tool, args, shimmed.Path, _cache.BaseUrl);

        Assert.Equal(exitCode, expected.ExitCode);
        Assert.Equal(exitCode, actual.ExitCode);
        Assert.Equal(ListFiles(direct.Path), ListFiles(shimmed.Path));
    }

    // A cache-host run with --s3-redirect answers the GET with a 302 to the store: curl gets --location from the shim
    // when it has none, and each form still saves the file the origin would have given, with the cached bytes.
    [Theory]
    [InlineData("curl", new[] { "-sS", "-O" })]
    [InlineData("curl", new[] { "-fsS", "-o", "named.out" })]
    [InlineData("curl", new[] { "-fsSLO" })]
    [InlineData("curl", new[] { "-sS", "-L", "--no-location", "-O" })]
    [InlineData("curl", new[] { "-sS", "--max-redirs", "0", "--max-redirs", "3", "-O" })]
    [InlineData("wget", new[] { "-q" })]
    [InlineData("wget", new[] { "-q", "-O", "named.out" })]
    [InlineData("wget", new[] { "-nv", "-c", "--max-redirect=0", "--max-redirect=5" })]
    [InlineData("wget", new[] { "-q", "--trust-server-names", "--no-trust-server-names" })]
    public async Task Hit_CacheRedirectsToItsStore_SavesTheOriginsFileNameWithTheCachedBytes(string tool, string[] form)
    {
        _cache.RedirectToStore = true;
        var origin = _origin.BaseUrl + "/files/redirected.tar.gz";
        _cache.Add(origin);
        using var direct = new TempDirectory();
        using var shimmed = new TempDirectory();
        string[] args = [.. form, origin];

        var expected = await ProcessRunner.RunAsync(tool == "curl" ? ShimBinaries.RealCurl : ShimBinaries.RealWget, args, workingDirectory: direct.Path);
        var originRequestsBefore = _origin.Requests.Count;
        var actual = await RunShimAsync(tool, args, shimmed.Path, _cache.BaseUrl);

        Assert.True((0, 0) == (expected.ExitCode, actual.ExitCode), $"exit {expected.ExitCode} direct vs {actual.ExitCode} via shim\n{actual.StandardError}");
        Assert.Contains("hit, redirected to the store:", actual.StandardError, StringComparison.Ordinal);
        var files = ListFiles(direct.Path);
        Assert.Equal(files, ListFiles(shimmed.Path));
        Assert.Equal(TestCache.CachedBody(origin), await File.ReadAllBytesAsync(Path.Combine(shimmed.Path, Assert.Single(files))));
        Assert.Equal(originRequestsBefore, _origin.Requests.Count);
        Assert.Equal(["HEAD /b/", "GET /b/", "GET /store/"], _cache.Server.Requests.Select(r => r.Method + " " + r.RawTarget[..(r.RawTarget.IndexOf('/', 1) + 1)]));
    }

    // A command line that would not follow the redirect as a download of the same file is left as it is, on the origin.
    [Theory]
    [InlineData("curl", new[] { "-sS", "--max-redirs", "0", "-O" }, "--max-redirs 0")]
    [InlineData("curl", new[] { "-sSL", "--proto-redir", "=https", "-O" }, "--proto-redir")]
    [InlineData("wget", new[] { "-q", "--max-redirect=0" }, "--max-redirect 0")]
    [InlineData("wget", new[] { "-q", "--max-redirect", "0" }, "--max-redirect 0")]
    [InlineData("wget", new[] { "-q", "--trust-server-names" }, "--trust-server-names")]
    public async Task Hit_CacheRedirectsToItsStore_CommandThatWouldNotFollowIt_DownloadsFromOrigin(string tool, string[] form, string why)
    {
        _cache.RedirectToStore = true;
        var origin = _origin.BaseUrl + "/files/no-follow.bin";
        _cache.Add(origin);
        using var work = new TempDirectory();

        var result = await RunShimAsync(tool, [.. form, origin], work.Path, _cache.BaseUrl);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"the cache-host redirects to its store and {why}", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("fetching from origin", result.StandardError, StringComparison.Ordinal);
        Assert.Equal(LoopbackServer.OriginBody("/files/no-follow.bin"), await File.ReadAllBytesAsync(Path.Combine(work.Path, "no-follow.bin")));
        Assert.Equal(["HEAD"], _cache.Server.Requests.Select(r => r.Method));
    }

    [Fact]
    public async Task Hit_CurlToStdout_WritesCacheBytesToStdout()
    {
        var origin = _origin.BaseUrl + "/files/stdout.bin";
        _cache.Add(origin);
        using var work = new TempDirectory();

        var result = await RunShimAsync("curl", ["-fsS", origin], work.Path, _cache.BaseUrl);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(TestCache.CachedBody(origin)), result.StandardOutput);
    }

    [Theory]
    [InlineData("curlwithcache", "curl")]
    [InlineData("wgetwithcache", "wget")]
    public async Task WithCacheName_NotShadowing_ActsAsItsTool(string name, string tool)
    {
        var origin = _origin.BaseUrl + "/files/named-tool.bin";
        _cache.Add(origin);
        using var work = new TempDirectory();
        string[] args = tool == "curl" ? ["-sSO", origin] : ["-q", origin];

        var result = await ProcessRunner.RunAsync(Path.Combine(ShimBinaries.BinDirectory, name), args,
            new Dictionary<string, string?> { ["WITHCACHE_SERVER"] = _cache.BaseUrl, ["WITHCACHE_DEBUG"] = "1", ["WITHCACHE_PROBE_TIMEOUT_MS"] = "10000" }, work.Path);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("hit:", result.StandardError, StringComparison.Ordinal);
        Assert.Equal(TestCache.CachedBody(origin), await File.ReadAllBytesAsync(Path.Combine(work.Path, "named-tool.bin")));
    }

    [Theory]
    [InlineData("curl", "CURLWITHCACHE_SERVER")]
    [InlineData("wget", "WGETWITHCACHE_SERVER")]
    public async Task PerToolVariable_Set_WinsOverWithCacheServer(string tool, string variable)
    {
        var origin = _origin.BaseUrl + "/files/per-tool.bin";
        _cache.Add(origin);
        using var work = new TempDirectory();
        string[] args = tool == "curl" ? ["-sSO", origin] : ["-q", origin];

        var result = await RunShimAsync(tool, args, work.Path, $"127.0.0.1:{DeadPorts.Refusing()}",
            new() { [variable] = _cache.BaseUrl });

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("hit:", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RealToolMissing_OnlyShimsOnPath_Exits127WithMessage()
    {
        using var work = new TempDirectory();

        var result = await ProcessRunner.RunAsync(Path.Combine(ShimBinaries.BinDirectory, "curl"), ["-sS", "http://127.0.0.1:9/x"],
            new Dictionary<string, string?> { ["PATH"] = ShimBinaries.BinDirectory }, work.Path);

        Assert.Equal(127, result.ExitCode);
        Assert.Contains("no real curl found", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ShimLoop_TwoShimCopiesAndNoRealTool_Exits127InsteadOfLooping()
    {
        using var work = new TempDirectory();
        var first = Directory.CreateDirectory(Path.Combine(work.Path, "first")).FullName;
        var second = Directory.CreateDirectory(Path.Combine(work.Path, "second")).FullName;
        File.Copy(ShimBinaries.AotPath, Path.Combine(first, "wget"));
        File.Copy(ShimBinaries.AotPath, Path.Combine(second, "wget"));

        var result = await ProcessRunner.RunAsync(Path.Combine(first, "wget"), ["-q", "http://127.0.0.1:9/x"],
            new Dictionary<string, string?> { ["PATH"] = first + ":" + second }, work.Path, timeout: TimeSpan.FromSeconds(20));

        Assert.Equal(127, result.ExitCode);
        Assert.Contains("no real wget found", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ShimLoop_TwoShimCopiesThenRealTool_RunsRealToolOnce()
    {
        using var work = new TempDirectory();
        var first = Directory.CreateDirectory(Path.Combine(work.Path, "first")).FullName;
        var second = Directory.CreateDirectory(Path.Combine(work.Path, "second")).FullName;
        File.Copy(ShimBinaries.AotPath, Path.Combine(first, "curl"));
        File.Copy(ShimBinaries.AotPath, Path.Combine(second, "curl"));
        var origin = _origin.BaseUrl + "/files/chain.bin";
        _cache.Add(origin);

        var result = await ProcessRunner.RunAsync(Path.Combine(first, "curl"), ["-sSO", origin],
            new Dictionary<string, string?>
            {
                ["PATH"] = first + ":" + second + ":" + Environment.GetEnvironmentVariable("PATH"),
                ["WITHCACHE_SERVER"] = _cache.BaseUrl,
                ["WITHCACHE_PROBE_TIMEOUT_MS"] = "10000",
            }, work.Path);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(TestCache.CachedBody(origin), await File.ReadAllBytesAsync(Path.Combine(work.Path, "chain.bin")));
        Assert.Single(_cache.Server.Requests, r => r.Method == "HEAD");
    }

    [Fact]
    public async Task ExecFails_RealToolNotExecutable_Exits127NamingPath()
    {
        using var work = new TempDirectory();
        var notExecutable = Path.Combine(work.Path, "not-a-curl");
        await File.WriteAllTextAsync(notExecutable, "plain text");

        var result = await ProcessRunner.RunAsync(Path.Combine(ShimBinaries.BinDirectory, "curl"), ["--version"],
            new Dictionary<string, string?> { ["REAL_CURL"] = notExecutable }, work.Path);

        Assert.Equal(127, result.ExitCode);
        Assert.Contains("cannot execute " + notExecutable, result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exec_RealTool_ReplacesTheShimProcess()
    {
        using var work = new TempDirectory();
        var script = Path.Combine(work.Path, "fake-wget");
        await File.WriteAllTextAsync(script, "#!/bin/sh\necho \"pid=$$ argv0=$0 args=$*\"\ngrep SigIgn /proc/$$/status\nexit 42\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);

        var result = await ProcessRunner.RunAsync(Path.Combine(ShimBinaries.BinDirectory, "wget"), ["-q", "x y"],
            new Dictionary<string, string?> { ["REAL_WGET"] = script }, work.Path);

        Assert.Equal(42, result.ExitCode);
        Assert.Contains($"pid={result.ProcessId} ", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("args=-q x y", result.StandardOutput, StringComparison.Ordinal);
        // SIGPIPE (13) is bit 12 of the ignored-signals mask: the .NET runtime ignores it, the real tool must not.
        var mask = Convert.ToUInt64(result.StandardOutput.Split("SigIgn:")[1].Trim(), 16);
        Assert.Equal(0UL, mask & (1UL << 12));
    }

    private static Task<ProcessResult> RunShimAsync(string tool, string[] args, string workingDirectory, string? server,
        Dictionary<string, string?>? extra = null)
    {
        var environment = new Dictionary<string, string?>
        {
            ["PATH"] = ShimBinaries.ShadowingPath,
            ["WITHCACHE_DEBUG"] = "1",
            ["WITHCACHE_SERVER"] = server,
            // These tests are about what the shim does, not how fast: a loaded CI machine must not turn a hit
            // into a timeout. The silent-cache test sets its own short deadline.
            ["WITHCACHE_PROBE_TIMEOUT_MS"] = "10000",
        };
        foreach (var (name, value) in extra ?? [])
        {
            environment[name] = value;
        }

        return ProcessRunner.RunAsync(Path.Combine(ShimBinaries.BinDirectory, tool), args, environment, workingDirectory);
    }

    private static List<string> ListFiles(string root) =>
        [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal)];
}
