using System.Net;
using System.Net.Sockets;
using WithCache.Server.Catalog;
using WithCache.Server.Operations;
using WithCache.Server.Tests.TestSupport;

namespace WithCache.Server.Tests.ReadPath;

/// <summary>
/// One client address may start only so many new fills a minute by asking for misses; joining a fill in progress
/// and other addresses are not held back.
/// </summary>
public sealed class AutoFillLimitTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private ArtifactOrigin _origin = null!;
    private ServerHost _server = null!;

    public async Task InitializeAsync()
    {
        _origin = await ArtifactOrigin.StartAsync();
        _server = await ServerHost.StartAsync(_dir.Path, s => s["WithCache:AutoFillsPerMinute"] = "3");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _origin.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task DistinctMissesFromOneAddress_BeyondTheLimit_AnsweredButNotQueued()
    {
        var urls = Enumerable.Range(0, 5).Select(i =>
        {
            var path = $"/limited/{i}.bin";
            var url = _origin.Add(path, TestData.Bytes(2000, seed: i));
            _origin.Hold(path);
            return url;
        }).ToList();

        var answers = new List<string>();
        foreach (var url in urls)
        {
            answers.Add(await _server.MissAsync(url));
        }

        // Asking again for a fill in progress joins it and costs nothing.
        var joined = await _server.MissAsync(urls[0]);

        Assert.All(answers.Take(3), a => Assert.Equal("not cached; download in progress\n", a));
        Assert.All(answers.Skip(3), a => Assert.StartsWith("not cached; not queued: too many new downloads", a, StringComparison.Ordinal));
        Assert.Equal("not cached; download in progress\n", joined);
        var jobs = _server.Get<CacheOperations>().ListJobs(new ListQuery()).Select(j => j.Job.Origin).Order().ToList();
        Assert.Equal(urls.Take(3).Order(), jobs);

        // Another address has an allowance of its own.
        using var other = new HttpClient(new SocketsHttpHandler { ConnectCallback = ConnectFrom(IPAddress.Parse("127.0.0.2")) })
        {
            BaseAddress = new Uri(_server.BaseUrl),
        };
        using var fromOther = await other.GetAsync(ServerHost.FetchPath(urls[4]));
        Assert.Equal(HttpStatusCode.NotFound, fromOther.StatusCode);
        Assert.Equal("not cached; download in progress\n", await fromOther.Content.ReadAsStringAsync());
        foreach (var i in Enumerable.Range(0, 5))
        {
            _origin.Release($"/limited/{i}.bin");
        }

        Assert.Equal(JobState.Completed, (await _server.WaitForJobAsync(urls[4])).Job.State);
    }

    private static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> ConnectFrom(IPAddress local) =>
        async (context, cancellationToken) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(local, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };
}
