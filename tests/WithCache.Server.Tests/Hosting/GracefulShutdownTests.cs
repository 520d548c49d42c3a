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
        await using var server = await ServerProcess.StartAsync(Path.Combine(_dir.Path, "data"), args: ["--allow-private"]);
        (await ServerHost.WaitForHitAsync(server.Client, origin, TimeSpan.FromSeconds(60))).Dispose();

        using var response = await server.Client.GetAsync(ServerHost.FetchPath(origin), HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        var read = await stream.ReadAsync(buffer);
        received.Write(buffer, 0, read);

        // The client is mid-body: SIGTERM now. Kestrel stops taking connections but lets this one finish.
        await server.SignalTerminateAsync();
        await Task.Delay(200);
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            received.Write(buffer, 0, read);
            await Task.Delay(2);
        }

        Assert.Equal(body, received.ToArray());
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }
}
