using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using WithCache.Server.Tests.TestSupport;

namespace WithCache.Server.Tests.Hosting;

/// <summary>The README's install path: pack the server as a .NET tool, install it into a tool path, run it.</summary>
public sealed class ToolInstallTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task PackAndInstall_AsDotnetTool_RunsAndServesItsUi()
    {
        var packages = Path.Combine(_dir.Path, "packages");
        var tools = Path.Combine(_dir.Path, "tools");
        var project = Path.Combine(Repository.Root(), "src", "WithCache.Server", "WithCache.Server.csproj");

        var pack = await Command.RunAsync("dotnet", ["pack", project, "-c", "Release", "-o", packages, "--nologo", "-v", "quiet"]);
        Assert.True(pack.ExitCode == 0, pack.Output);
        Assert.Single(Directory.GetFiles(packages, "withcache-server.*.nupkg"));
        var install = await Command.RunAsync("dotnet", ["tool", "install", "--tool-path", tools, "--add-source", packages, "withcache-server"]);
        Assert.True(install.ExitCode == 0, install.Output);
        var executable = Path.Combine(tools, "withcache-server");
        var help = await Command.RunAsync(executable, ["--help"]);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--max-bytes", help.Output, StringComparison.Ordinal);

        var port = FreePort();
        using var server = Process.Start(new ProcessStartInfo(executable)
        {
            ArgumentList = { "--data-dir", Path.Combine(_dir.Path, "data"), "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var healthy = false;
            for (var i = 0; i < 100 && !healthy; i++)
            {
                try
                {
                    using var health = await http.GetAsync("/healthz");
                    healthy = health.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(100);
                }
            }

            Assert.True(healthy, "the installed tool did not answer /healthz");
            using var css = await http.GetAsync("/vendor/pico/pico.min.css");
            Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
