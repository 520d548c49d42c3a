using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using WithCache.Server.Tests.TestSupport;

namespace WithCache.Server.Tests.Hosting;

/// <summary>The real server process stopped with SIGTERM, as systemd and container engines stop it.</summary>
public sealed class GracefulShutdownTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private ArtifactOrigin _origin = null!;

    public async Task InitializeAsync() => _origin = await ArtifactOrigin.StartAsync();

    public async Task DisposeAsync()
    {
        await _origin.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Sigterm_DuringASlowDownload_FinishesTheResponseThenExitsCleanly()
    {
        // Larger than loopback socket buffers, so the server is still writing when the signal arrives.
        var body = TestData.Bytes(48 * 1024 * 1024, seed: 21);
        var origin = _origin.Add("/big.iso", body);
        var port = FreePort();
        using var server = StartServer(port);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
            await WaitForHitAsync(http, origin);

            using var response = await http.GetAsync(ServerHost.FetchPath(origin), HttpCompletionOption.ResponseHeadersRead);
            await using var stream = await response.Content.ReadAsStreamAsync();
            var received = new MemoryStream();
            var buffer = new byte[64 * 1024];
            var read = await stream.ReadAsync(buffer);
            received.Write(buffer, 0, read);

            // The client is mid-body: SIGTERM now. Kestrel stops taking connections but lets this one finish.
            Assert.Equal(0, Kill(server.Id, 15));
            await Task.Delay(200);
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                received.Write(buffer, 0, read);
                await Task.Delay(2);
            }

            Assert.Equal(body, received.ToArray());
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await server.WaitForExitAsync(exit.Token);
            Assert.Equal(0, server.ExitCode);
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
            }
        }
    }

    private Process StartServer(int port)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList =
            {
                Path.Combine(AppContext.BaseDirectory, "withcache-server.dll"),
                "--data-dir", Path.Combine(_dir.Path, "data"),
                "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--bind", "127.0.0.1",
                "--allow-private",
            },
        };
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitForHitAsync(HttpClient http, string origin)
    {
        for (var i = 0; i < 300; i++)
        {
            try
            {
                using var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, ServerHost.FetchPath(origin)));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("the server never cached the artifact");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
