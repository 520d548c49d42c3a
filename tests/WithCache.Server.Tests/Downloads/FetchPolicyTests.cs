using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;
using WithCache.Core;
using WithCache.Server.Downloads;
using WithCache.Server.Tests.TestSupport;

namespace WithCache.Server.Tests.Downloads;

/// <summary>Which origins and addresses a fill may reach.</summary>
public sealed class FetchPolicyTests
{
    private static FetchPolicy Policy(Action<FetchOptions>? configure = null)
    {
        var options = new FetchOptions();
        configure?.Invoke(options);
        return new FetchPolicy(Options.Create(options));
    }

    private static OriginUrl Url(string text)
    {
        Assert.True(OriginUrl.TryParse(text, out var origin, out var error), error?.Reason);
        return origin;
    }

    [Theory]
    [InlineData("127.0.0.1", "a loopback address")]
    [InlineData("127.255.255.254", "a loopback address")]
    [InlineData("10.1.2.3", "a private address")]
    [InlineData("172.16.0.1", "a private address")]
    [InlineData("172.31.255.255", "a private address")]
    [InlineData("172.15.255.255", null)]
    [InlineData("172.32.0.1", null)]
    [InlineData("192.168.1.1", "a private address")]
    [InlineData("192.169.0.1", null)]
    [InlineData("169.254.169.254", "a cloud metadata address")]
    [InlineData("169.254.1.1", "a link-local address")]
    [InlineData("100.64.0.1", "a shared (CGNAT) address")]
    [InlineData("100.127.255.255", "a shared (CGNAT) address")]
    [InlineData("100.100.100.200", "a shared (CGNAT) address")]
    [InlineData("100.128.0.1", null)]
    [InlineData("100.63.255.255", null)]
    [InlineData("0.0.0.0", "the unspecified address")]
    [InlineData("0.1.2.3", "a 'this network' address")]
    [InlineData("224.0.0.1", "a multicast address")]
    [InlineData("239.255.255.250", "a multicast address")]
    [InlineData("255.255.255.255", "the broadcast address")]
    [InlineData("240.0.0.1", "a reserved address")]
    [InlineData("198.18.0.1", "a reserved address")]
    [InlineData("8.8.8.8", null)]
    [InlineData("1.1.1.1", null)]
    [InlineData("::", "the unspecified address")]
    [InlineData("::1", "a loopback address")]
    [InlineData("fc00::1", "a unique local address")]
    [InlineData("fd00::1", "a unique local address")]
    [InlineData("fd00:ec2::254", "a cloud metadata address")]
    [InlineData("fe80::1", "a link-local address")]
    [InlineData("febf::1", "a link-local address")]
    [InlineData("fec0::1", "a site-local address")]
    [InlineData("ff02::1", "a multicast address")]
    [InlineData("::ffff:127.0.0.1", "a loopback address")]
    [InlineData("::ffff:10.0.0.1", "a private address")]
    [InlineData("::ffff:169.254.169.254", "a cloud metadata address")]
    [InlineData("::ffff:8.8.8.8", null)]
    [InlineData("::127.0.0.1", "an IPv4-compatible address")]
    [InlineData("64:ff9b::10.0.0.1", "a private address")]
    [InlineData("64:ff9b::8.8.8.8", null)]
    [InlineData("64:ff9b:1::1", "a local NAT64 address")]
    [InlineData("2002:7f00:1::", "a loopback address")]
    [InlineData("2002:808:808::", null)]
    [InlineData("2001:4860::1", null)]
    [InlineData("2606:4700::6810:84e5", null)]
    public void Classify_Address_NamesTheKindOrNullForPublic(string address, string? expected)
    {
        Assert.Equal(expected, FetchPolicy.Classify(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("127.0.0.1", false, true)]
    [InlineData("10.1.2.3", false, true)]
    [InlineData("10.1.2.3", true, false)]
    [InlineData("::1", true, false)]
    [InlineData("fe80::1", true, false)]
    [InlineData("169.254.169.254", true, true)]
    [InlineData("fd00:ec2::254", true, true)]
    [InlineData("8.8.8.8", false, false)]
    public void FindRefusal_AllowPrivate_LiftsAllButMetadata(string address, bool allowPrivate, bool refused)
    {
        var policy = Policy(o => o.AllowPrivate = allowPrivate);

        Assert.Equal(refused, policy.FindRefusal(IPAddress.Parse(address)) is not null);
    }

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("::ffff:127.0.0.1", false)]
    [InlineData("127.0.0.2", true)]
    [InlineData("10.20.30.40", false)]
    [InlineData("10.20.31.1", true)]
    [InlineData("169.254.169.254", false)]
    [InlineData("fd12::5", false)]
    [InlineData("fd13::5", true)]
    public void FindRefusal_AllowNetworks_LiftsOnlyThoseNetworks(string address, bool refused)
    {
        var policy = Policy(o => o.AllowNetworks = ["127.0.0.1/32", "10.20.30.0/24", "169.254.169.254", "fd12::/16"]);

        Assert.Equal(refused, policy.FindRefusal(IPAddress.Parse(address)) is not null);
    }

    [Theory]
    [InlineData("https://developer.download.nvidia.com/compute/cuda.run", null)]
    [InlineData("https://DEVELOPER.download.nvidia.com./x", null)]
    [InlineData("https://download.example.org/a", null)]
    [InlineData("https://nvidia.com/x", "host nvidia.com is not in the allowed hosts")]
    [InlineData("https://evilnvidia.com/x", "host evilnvidia.com is not in the allowed hosts")]
    [InlineData("https://developer.download.nvidia.com.evil.net/x", "host developer.download.nvidia.com.evil.net is not in the allowed hosts")]
    [InlineData("http://example.org/x", "host example.org is not in the allowed hosts")]
    public void Check_AllowHosts_MatchesGlobsOnTheWholeHost(string url, string? expected)
    {
        var policy = Policy(o => o.AllowHosts = ["*.nvidia.com", "download.example.org"]);

        Assert.Equal(expected, policy.Check(Url(url)));
    }

    [Theory]
    [InlineData("http://example.org/x", null)]
    [InlineData("https://8.8.8.8/x", null)]
    [InlineData("http://127.0.0.2:8080/x", "127.0.0.2 is a loopback address")]
    [InlineData("http://[::1]/x", "::1 is a loopback address")]
    [InlineData("http://[::ffff:10.0.0.1]/x", "::ffff:10.0.0.1 is a private address")]
    [InlineData("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud metadata address")]
    [InlineData("http://localhost/x", null)]
    public void Check_IpLiteralHosts_RefusedWithoutDns(string url, string? expected)
    {
        Assert.Equal(expected, Policy().Check(Url(url)));
    }

    [Theory]
    [InlineData("ftp://ftp.example.com/file")]
    [InlineData("file:///etc/passwd")]
    [InlineData("gopher://example.com/")]
    public void OriginUrl_NonHttpScheme_NeverReachesCheck(string url)
    {
        // Check refuses other schemes too, but Core's parser already refuses them: no OriginUrl can carry one.
        Assert.False(OriginUrl.TryParse(url, out _, out _));
    }

    [Theory]
    [InlineData("*.nvidia.com", "developer.download.nvidia.com", true)]
    [InlineData("*.nvidia.com", "nvidia.com", false)]
    [InlineData("*.nvidia.com", "xnvidia.com", false)]
    [InlineData("cdn?.example.com", "cdn1.example.com", true)]
    [InlineData("cdn?.example.com", "cdn12.example.com", false)]
    [InlineData("*", "anything.at.all", true)]
    [InlineData("repo.*.example.com", "repo.eu.example.com", true)]
    [InlineData("repo.*.example.com", "repo.example.com", false)]
    [InlineData("example.com", "example.com", true)]
    [InlineData("example.com", "example.co", false)]
    public void GlobMatches_Table(string glob, string host, bool expected)
    {
        Assert.Equal(expected, FetchPolicy.GlobMatches(glob, host));
    }

    [Fact]
    public void CreatePrimaryHandler_NoRedirectsNoDecompressionNoProxyAndAConnectCheck()
    {
        using var handler = Policy().CreatePrimaryHandler();

        Assert.False(handler.AllowAutoRedirect);
        Assert.Equal(DecompressionMethods.None, handler.AutomaticDecompression);
        Assert.False(handler.UseProxy);
        Assert.False(handler.UseCookies);
        Assert.NotNull(handler.ConnectCallback);
    }

    /// <summary>
    /// The connect-time check alone (no <see cref="FetchPolicy.Check"/> first, as after a DNS answer): every spelling of
    /// a loopback address reaches the connect callback as the address it means, is refused with that address named,
    /// and a listener on every local address of the port never sees a connection.
    /// </summary>
    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1 is a loopback address")]
    [InlineData("2130706433", "127.0.0.1 is a loopback address")]
    [InlineData("0177.0.0.1", "127.0.0.1 is a loopback address")]
    [InlineData("0x7f.0.0.1", "127.0.0.1 is a loopback address")]
    [InlineData("127.1", "127.0.0.1 is a loopback address")]
    [InlineData("127.000.000.001", "127.0.0.1 is a loopback address")]
    [InlineData("[::1]", "::1 is a loopback address")]
    [InlineData("[::ffff:7f00:1]", "::ffff:127.0.0.1 is a loopback address")]
    [InlineData("0.0.0.0", "0.0.0.0 is the unspecified address")]
    [InlineData("localhost", "localhost resolves to 127.0.0.1, a loopback address")]
    public async Task PrimaryHandler_LoopbackSpelledAnyWay_RefusedAtConnectWithoutAConnection(string host, string refusal)
    {
        using var trap = RawOrigin.StartTrap();
        using var client = new HttpClient(Policy().CreatePrimaryHandler());

        var error = await Assert.ThrowsAsync<HttpRequestException>(
            () => client.GetAsync($"http://{host}:{trap.Port.ToString(CultureInfo.InvariantCulture)}/x"));

        var refused = Assert.IsType<FetchRefusedException>(error.InnerException);
        Assert.True(refused.Message == refusal || refused.Message == refusal.Replace("127.0.0.1,", "::1,", StringComparison.Ordinal), refused.Message);
        Assert.Equal(0, trap.Accepted);
    }

    [Theory]
    [InlineData("10.0.0.0/8", true)]
    [InlineData("fd00::/8", true)]
    [InlineData("192.168.1.7", true)]
    [InlineData("10.0.0.1/8", true)]
    [InlineData("not-a-network", false)]
    [InlineData("10.0.0.0/33", false)]
    public void Validator_AllowNetworks_RefusesWhatIsNotACidr(string network, bool valid)
    {
        var result = new FetchOptionsValidator().Validate(null, new FetchOptions { AllowNetworks = [network] });

        Assert.Equal(valid, result.Succeeded);
    }

    [Fact]
    public void Validator_NonsenseNumbers_Refused()
    {
        var result = new FetchOptionsValidator().Validate(null, new FetchOptions
        {
            IdleTimeout = TimeSpan.Zero,
            MaxAttempts = 0,
            MaxRedirects = -1,
            RetryBaseDelay = TimeSpan.FromSeconds(10),
            RetryMaxDelay = TimeSpan.FromSeconds(1),
            AllowHosts = ["https://example.com/"],
        });

        Assert.True(result.Failed);
        Assert.Equal(5, result.Failures?.Count());
    }
}
