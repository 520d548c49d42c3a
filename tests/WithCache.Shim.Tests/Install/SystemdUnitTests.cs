using WithCache.Shim.Tests.TestSupport;

namespace WithCache.Shim.Tests.Install;

/// <summary>deploy/withcache-server.service passes <c>systemd-analyze verify</c>, where that tool is installed.</summary>
public sealed class SystemdUnitTests
{
    private const string InstalledServer = "/opt/withcache/withcache-server";

    [SystemdAnalyzeFact]
    public async Task Unit_SystemdAnalyzeVerify_ReportsNothing()
    {
        // verify checks that ExecStart's program exists: point a copy of the unit at a stand-in executable instead
        // of installing anything under /opt. Every other line is verified as written.
        using var root = new TempDirectory();
        var server = Path.Combine(root.Path, "withcache-server");
        await File.WriteAllTextAsync(server, "#!/bin/sh\nexit 0\n");
        File.SetUnixFileMode(server, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var unit = await File.ReadAllTextAsync(Path.Combine(InstallScript.RepoRoot, "deploy", "withcache-server.service"));
        Assert.Contains("ExecStart=" + InstalledServer + " ", unit, StringComparison.Ordinal);
        var copy = Path.Combine(root.Path, "withcache-server.service");
        await File.WriteAllTextAsync(copy, unit.Replace(InstalledServer, server, StringComparison.Ordinal));

        var result = await ProcessRunner.RunAsync(SystemdAnalyzeFactAttribute.Path, ["verify", "--man=no", copy]);

        Assert.True(result.ExitCode == 0 && result.StandardError.Length == 0 && result.StandardOutput.Length == 0,
            $"systemd-analyze verify exited {result.ExitCode}\n{result.StandardOutput}{result.StandardError}");
    }
}
