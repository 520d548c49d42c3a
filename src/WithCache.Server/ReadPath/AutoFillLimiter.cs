using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using WithCache.Server.Hosting;

namespace WithCache.Server.ReadPath;

/// <summary>
/// How many new fills a miss from one client address may start per minute. The read path is open, so without it
/// any host on the LAN could make the cache-host download (and keep a job row for) as many distinct URLs as it can
/// name. Over the limit the miss is still counted and answered; the fill just is not queued, and the shim falls back
/// to the origin. IPv6 clients are grouped by /64, since one host can use any address of its prefix.
/// </summary>
internal sealed class AutoFillLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<IPAddress>? _limiter;

    public AutoFillLimiter(IOptions<ServerOptions> options)
    {
        var perMinute = options.Value.AutoFillsPerMinute;
        if (perMinute > 0)
        {
            _limiter = PartitionedRateLimiter.Create<IPAddress, IPAddress>(address => RateLimitPartition.GetTokenBucketLimiter(
                Group(address),
                _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = perMinute,
                    TokensPerPeriod = perMinute,
                    ReplenishmentPeriod = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                }));
        }
    }

    /// <summary>Takes one new fill from the client's allowance; false when it is used up. No limit when unset.</summary>
    public bool TryAdmit(IPAddress? client)
    {
        if (_limiter is null)
        {
            return true;
        }

        using var lease = _limiter.AttemptAcquire(client ?? IPAddress.None);
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter?.Dispose();

    private static IPAddress Group(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes);
    }
}
