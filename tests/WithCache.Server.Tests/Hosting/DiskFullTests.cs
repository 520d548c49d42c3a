using System.Net;
using WithCache.Server.Catalog;
using WithCache.Server.Tests.TestSupport;

namespace WithCache.Server.Tests.Hosting;

/// <summary>
/// The data dir on a 16 MiB tmpfs that fills up. Needs root to mount it; skipped, with the reason, otherwise.
/// </summary>
public sealed class DiskFullTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private ArtifactOrigin _origin = null!;
    private string _mount = "";
    private string? _mountError;

    public async Task InitializeAsync()
    {
        _origin = await ArtifactOrigin.StartAsync();
        _mount = Path.Combine(_dir.Path, "small");
        Directory.CreateDirectory(_mount);
        var (code, error) = await Command.RunAsync("mount", "-t", "tmpfs", "-o", "size=16m", "withcache-test", _mount);
        _mountError = code == 0 ? null : $"cannot mount a tmpfs here (mount exited {code}: {error.Trim()}); run the tests as root to cover a full disk";
    }

    public async Task DisposeAsync()
    {
        await _origin.DisposeAsync();
        if (_mountError is null)
        {
            await Command.RunAsync("umount", "-l", _mount);
        }

        _dir.Dispose();
    }

    [SkippableFact]
    public async Task DiskFills_FillFailsWithNoSpace_NothingLeft_OthersServed_WorksAgainOnceFreed()
    {
        Skip.If(TestBackends.Shared, "fills the local data dir's disk; S3 has no such disk here");
        Skip.If(_mountError is not null, _mountError);
        var data = Path.Combine(_mount, "data");
        await using var server = await ServerHost.StartAsync(data);
        var small = TestData.Bytes(200_000, seed: 1);
        var smallUrl = _origin.Add("/small.bin", small);
        (await server.WaitForHitAsync(smallUrl)).Dispose();

        // Something else on the filesystem takes all but about 1.5 MiB.
        var ballast = Path.Combine(_mount, "ballast");
        await using (var file = new FileStream(ballast, FileMode.CreateNew, FileAccess.Write))
        {
            var block = new byte[1024 * 1024];
            while (new DriveInfo(_mount).AvailableFreeSpace > 1536 * 1024)
            {
                file.Write(block, 0, (int)Math.Min(block.Length, new DriveInfo(_mount).AvailableFreeSpace - (1536 * 1024) + 4096));
                file.Flush();
            }
        }

        var big = TestData.Bytes(4 * 1024 * 1024, seed: 2);
        var bigUrl = _origin.Add("/big.bin", big);
        await server.MissAsync(bigUrl);

        var failed = await server.WaitForJobAsync(bigUrl, JobState.Failed);
        Assert.Contains("No space left on device", failed.Job.Reason, StringComparison.Ordinal);
        Assert.Empty(server.TempFiles());
        Assert.Single(server.BlobFiles());
        using (var stillMissing = await server.Client.GetAsync(ServerHost.FetchPath(bigUrl)))
        {
            Assert.Equal(HttpStatusCode.NotFound, stillMissing.StatusCode);
        }

        using (var other = await server.Client.GetAsync(ServerHost.FetchPath(smallUrl)))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
            Assert.Equal(small, await other.Content.ReadAsByteArrayAsync());
        }

        File.Delete(ballast);
        using var hit = await server.WaitForHitAsync(bigUrl, TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
        Assert.Equal(big, await hit.Content.ReadAsByteArrayAsync());
        Assert.Empty(server.TempFiles());
    }
}
