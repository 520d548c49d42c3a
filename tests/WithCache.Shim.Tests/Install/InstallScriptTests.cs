using System.Text.RegularExpressions;
using WithCache.Shim.Tests.TestSupport;

namespace WithCache.Shim.Tests.Install;

/// <summary>
/// install.sh itself: what it puts where, that the installed shim answers <c>--version</c> and <c>--help</c> and acts
/// as the tool its link is named after, and that <c>--uninstall</c> leaves the prefix exactly as it found it.
/// </summary>
[Collection(InstallCollection.Name)]
[Trait("Category", "Aot")]
public sealed partial class InstallScriptTests(InstalledShim installed)
{
    [Fact]
    public void Install_WithShadow_LinksEveryNameToOneBinary()
    {
        Assert.True(File.Exists(installed.Binary));
        Assert.Null(new FileInfo(installed.Binary).LinkTarget);
        foreach (var link in new[]
        {
            Path.Combine(installed.BinDirectory, "withcache-shim"),
            Path.Combine(installed.BinDirectory, "curlwithcache"),
            Path.Combine(installed.BinDirectory, "wgetwithcache"),
            Path.Combine(installed.ShadowDirectory, "curl"),
            Path.Combine(installed.ShadowDirectory, "wget"),
        })
        {
            Assert.Equal(installed.Binary, new FileInfo(link).LinkTarget);
        }

        Assert.False(File.Exists(Path.Combine(installed.BinDirectory, "curl")), "install.sh must not shadow curl in bin/");
        Assert.Contains("--uninstall --prefix " + installed.Prefix, installed.Result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InstalledShim_Version_PrintsNameAndVersion()
    {
        var result = await ProcessRunner.RunAsync(Path.Combine(installed.BinDirectory, "withcache-shim"), ["--version"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Matches(VersionLine(), result.StandardOutput);
        Assert.Empty(result.StandardError);
    }

    [Fact]
    public async Task InstalledShim_Help_PrintsUsageOnStdout()
    {
        var result = await ProcessRunner.RunAsync(Path.Combine(installed.BinDirectory, "withcache-shim"), ["--help"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("WITHCACHE_SERVER", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("--version", result.StandardOutput, StringComparison.Ordinal);
        Assert.EndsWith("\n", result.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("curlwithcache", "curl ")]
    [InlineData("wgetwithcache", "GNU Wget ")]
    public async Task InstalledLink_CalledByToolName_RunsRealTool(string name, string versionPrefix)
    {
        var result = await ProcessRunner.RunAsync(Path.Combine(installed.BinDirectory, name), ["--version"]);

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith(versionPrefix, result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Uninstall_AfterInstallWithShadow_LeavesPrefixAsItWas()
    {
        // bin/ exists and holds someone else's file, lib/ does not: the install creates lib/, lib/withcache/ and
        // lib/withcache/shadow/, and the uninstall must remove those three and keep bin/.
        using var root = new TempDirectory();
        var prefix = Path.Combine(root.Path, "prefix");
        Directory.CreateDirectory(Path.Combine(prefix, "bin"));
        await File.WriteAllTextAsync(Path.Combine(prefix, "bin", "other-tool"), "#!/bin/sh\n");
        var before = InstallScript.Snapshot(root.Path);

        var install = await InstallScript.RunAsync("--prefix", prefix, "--shadow");
        Assert.True(install.ExitCode == 0, install.StandardError);
        Assert.True(File.Exists(Path.Combine(prefix, "lib", "withcache", "shadow", "curl")));
        var uninstall = await InstallScript.RunAsync("--uninstall", "--prefix", prefix);

        Assert.True(uninstall.ExitCode == 0, uninstall.StandardError);
        Assert.Equal(before, InstallScript.Snapshot(root.Path));
    }

    [Fact]
    public async Task Install_SomeoneElsesFileInTheWay_RefusesAndChangesNothing()
    {
        using var root = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(root.Path, "bin"));
        await File.WriteAllTextAsync(Path.Combine(root.Path, "bin", "curlwithcache"), "mine\n");
        var before = InstallScript.Snapshot(root.Path);

        var result = await InstallScript.RunAsync("--prefix", root.Path);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("curlwithcache exists", result.StandardError, StringComparison.Ordinal);
        Assert.Equal(before, InstallScript.Snapshot(root.Path));
    }

    [Fact]
    public async Task Help_ExitsZeroAndNamesUninstall()
    {
        var result = await InstallScript.RunAsync("--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("--uninstall", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownArgument_ExitsTwo()
    {
        var result = await InstallScript.RunAsync("--prefx", "/tmp/nowhere");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--prefx", result.StandardError, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\Awithcache-shim \d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?\n\z")]
    private static partial Regex VersionLine();
}
