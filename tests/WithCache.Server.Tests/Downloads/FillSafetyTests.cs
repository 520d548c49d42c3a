using System.Globalization;
using System.Net;
using System.Net.Sockets;
using WithCache.Server.Catalog;
using WithCache.Server.Operations;
using WithCache.Server.Tests.TestSupport;

namespace WithCache.Server.Tests.Downloads;

/// <summary>
/// Fetch safety end to end, without <c>--allow-private</c>: a miss for a loopback, private, link-local or metadata
/// address, however the URL spells it, and a redirect to one, never makes the cache-host connect there. The target
/// port is a trap listening on every local address: where the address is local it would have accepted the
/// connection, and a direct connection to it at the end proves that it would have.
/// </summary>
public sealed class FillSafetyTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly RawOrigin _trap = RawOrigin.StartTrap();

    public void Dispose()
    {
        _trap.Dispose();
        _dir.Dispose();
    }

    /// <summary>Host as written in the URL; the address the policy names (the spelling normalised); whether it is an address of this machine.</summary>
    public static TheoryData<string, string, bool> DeniedLiterals => new()
    {
        { "127.0.0.1", "127.0.0.1 is a loopback address", true },
        { "127.42.0.1", "127.42.0.1 is a loopback address", true },
        { "[::1]", "::1 is a loopback address", true },
        { "[0:0:0:0:0:0:0:1]", "::1 is a loopback address", true },
        { "[::ffff:127.0.0.1]", "::ffff:127.0.0.1 is a loopback address", true },
        { "0.0.0.0", "0.0.0.0 is the unspecified address", true },
        { "0", "0.0.0.0 is the unspecified address", true },
        { "[::]", ":: is the unspecified address", true },
        { "2130706433", "127.0.0.1 is a loopback address", true },
        { "0177.0.0.1", "127.0.0.1 is a loopback address", true },
        { "0x7f.0.0.1", "127.0.0.1 is a loopback address", true },
        { "127.1", "127.0.0.1 is a loopback address", true },
        { "0x7f000001", "127.0.0.1 is a loopback address", true },
        { "017700000001", "127.0.0.1 is a loopback address", true },
        { "127.000.000.001", "127.0.0.1 is a loopback address", true },
        { "10.0.0.1", "10.0.0.1 is a private address", false },
        { "10.255.255.254", "10.255.255.254 is a private address", false },
        { "172.16.0.1", "172.16.0.1 is a private address", false },
        { "172.31.255.254", "172.31.255.254 is a private address", false },
        { "192.168.1.1", "192.168.1.1 is a private address", false },
        { "169.254.169.254", "169.254.169.254 is a cloud metadata address", false },
        { "2852039166", "169.254.169.254 is a cloud metadata address", false },
        { "0xa9.0xfe.0xa9.0xfe", "169.254.169.254 is a cloud metadata address", false },
        { "[fd00::1]", "fd00::1 is a unique local address", false },
    };

    [Theory]
    [MemberData(nameof(DeniedLiterals))]
    public async Task Miss_DeniedAddressSpelledAnyWay_RefusedWithoutAJobOrAConnection(string host, string refusal, bool local)
    {
        var url = TrapUrl(host);
        await using var server = await StartDenyingServerAsync();

        var miss = await server.MissAsync(url);

        Assert.Equal($"not cached; will not fetch: {refusal}\n", miss);
        Assert.Empty(server.Get<CacheOperations>().ListJobs(new ListQuery()));
        Assert.Equal(0, _trap.Accepted);
        if (local)
        {
            await AssertTrapReachableAsync(url);
        }
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("LocalHost")]
    public async Task Fill_NameThatResolvesToLoopback_RefusedAtConnectTimeAndNeverConnects(string host)
    {
        var url = TrapUrl(host);
        await using var server = await StartDenyingServerAsync();

        Assert.Equal("not cached; download in progress\n", await server.MissAsync(url));

        var job = await server.WaitForJobAsync(url);
        Assert.Equal(JobState.Failed, job.Job.State);
        Assert.True(job.Job.PermanentFailure);
        Assert.Matches(@"^localhost resolves to (127\.0\.0\.1|::1), a loopback address$", job.Job.Reason);
        Assert.Equal(0, _trap.Accepted);
        Assert.Empty(server.TempFiles());
        await AssertTrapReachableAsync(url);
    }

    /// <summary>
    /// <c>localhost.</c> (the fully qualified spelling) resolves to loopback where a DNS resolver answers for it, and
    /// not at all (or not in time) where only /etc/hosts does: either way the fill fails and nothing is dialled.
    /// </summary>
    [Fact]
    public async Task Fill_FullyQualifiedLocalhost_FailsAndNeverConnects()
    {
        var url = TrapUrl("localhost.");
        await using var server = await StartDenyingServerAsync(s => s["Fetch:MaxAttempts"] = "1");

        await server.MissAsync(url);

        var job = await server.WaitForJobAsync(url);
        Assert.Equal(JobState.Failed, job.Job.State);
        Assert.Matches(@"^(localhost\. resolves to (127\.0\.0\.1|::1), a loopback address|could not reach localhost\.:\d+: .*|no answer from localhost\.:\d+ within .*)$", job.Job.Reason);
        Assert.Equal(0, _trap.Accepted);
    }

    public static TheoryData<string, string> DeniedRedirects => new()
    {
        { "http://127.0.0.1:{port}/x", "redirect to 127.0.0.1:{port} refused: 127.0.0.1 is a loopback address" },
        { "//127.0.0.1:{port}/x", "redirect to 127.0.0.1:{port} refused: 127.0.0.1 is a loopback address" },
        { "http://2130706433:{port}/x", "redirect to 127.0.0.1:{port} refused: 127.0.0.1 is a loopback address" },
        { "http://0x7f.0.0.1:{port}/x", "redirect to 127.0.0.1:{port} refused: 127.0.0.1 is a loopback address" },
        { "http://127.1:{port}/x", "redirect to 127.0.0.1:{port} refused: 127.0.0.1 is a loopback address" },
        { "http://[::1]:{port}/x", "redirect to [::1]:{port} refused: ::1 is a loopback address" },
        { "http://0.0.0.0:{port}/x", "redirect to 0.0.0.0:{port} refused: 0.0.0.0 is the unspecified address" },
        { "http://localhost:{port}/x", "redirect to localhost:{port} refused: localhost resolves to 127.0.0.1, a loopback address" },
        { "http://10.1.2.3/x", "redirect to 10.1.2.3 refused: 10.1.2.3 is a private address" },
        { "http://169.254.169.254/latest/meta-data/", "redirect to 169.254.169.254 refused: 169.254.169.254 is a cloud metadata address" },
        { "http://[fd00::1]/x", "redirect to [fd00::1] refused: fd00::1 is a unique local address" },
    };

    [Theory]
    [MemberData(nameof(DeniedRedirects))]
    public async Task Fill_RedirectFromAnAllowedOriginToADeniedAddress_FailsAndNeverConnects(string location, string refusal)
    {
        // The allowed origin is a lab mirror on 127.0.0.2 (allowed by network); every other loopback address stays denied.
        await using var origin = await OriginServer.StartAsync("127.0.0.2");
        origin.MapRedirect("/innocent.bin", Port(location));
        var url = origin.Url("/innocent.bin");
        await using var server = await StartDenyingServerAsync(s => s["Fetch:AllowNetworks:0"] = "127.0.0.2/32");

        await server.MissAsync(url);

        var job = await server.WaitForJobAsync(url);
        Assert.Equal(JobState.Failed, job.Job.State);
        Assert.True(job.Job.PermanentFailure);
        var expected = Port(refusal);
        Assert.True(job.Job.Reason == expected || job.Job.Reason == expected.Replace("resolves to 127.0.0.1", "resolves to ::1", StringComparison.Ordinal), job.Job.Reason);
        Assert.Single(origin.Requests);
        Assert.Equal(0, _trap.Accepted);
        Assert.Empty(server.TempFiles());
        Assert.Empty(server.BlobFiles());
    }

    /// <summary>The control: with <c>--allow-private</c> the same miss does reach the trap, so its silence above is the policy's doing.</summary>
    [Fact]
    public async Task Fill_AllowPrivate_LoopbackIsDialled()
    {
        var url = TrapUrl("127.0.0.1");
        await using var server = await StartDenyingServerAsync(s =>
        {
            s["Fetch:AllowPrivate"] = "true";
            s["Fetch:MaxAttempts"] = "1";
        });

        Assert.Equal("not cached; download in progress\n", await server.MissAsync(url));

        Assert.Equal(JobState.Failed, (await server.WaitForJobAsync(url)).Job.State);
        Assert.NotEqual(0, _trap.Accepted);
    }

    /// <summary>The test server without the 127.0.0.1/32 allowance the other tests use to reach their origins.</summary>
    private Task<ServerHost> StartDenyingServerAsync(Action<Dictionary<string, string?>>? configure = null) =>
        ServerHost.StartAsync(_dir.Path, s =>
        {
            s.Remove("Fetch:AllowNetworks:0");
            configure?.Invoke(s);
        });

    private string TrapUrl(string host) => Port($"http://{host}:{{port}}/artifact.bin");

    private string Port(string text) => text.Replace("{port}", _trap.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    /// <summary>Connects straight to where <paramref name="url"/> points (as <see cref="Uri"/> reads it) and sees the trap count it.</summary>
    private async Task AssertTrapReachableAsync(string url)
    {
        var host = new Uri(url).IdnHost.Trim('[', ']');
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host);
        using var client = new TcpClient(AddressFamily.InterNetworkV6) { Client = { DualMode = true } };
        await client.ConnectAsync(addresses, _trap.Port);
        await Poll.UntilAsync(() => _trap.Accepted > 0, "the trap's accept");
        Assert.Equal(1, _trap.Accepted);
    }
}
