using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using WithCache.Server.Api;

namespace WithCache.Server.Ui.Auth;

/// <summary>
/// Counts wrong API tokens per client address in a fixed window of a minute, like the login's limit; an address
/// over it gets 429 for the rest of the window, a right token included, so guessing gains nothing from speed.
/// Right tokens are not counted: a busy script is never throttled.
/// </summary>
internal sealed class FailedAuthLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;

    public FailedAuthLimiter(IOptions<ApiOptions> options)
    {
        var permits = options.Value.FailedAttemptsPerMinute;
        _limiter = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permits,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        }));
    }

    public bool IsThrottled(string address) => _limiter.GetStatistics(address) is { CurrentAvailablePermits: <= 0 };

    public void CountFailure(string address)
    {
        using var lease = _limiter.AttemptAcquire(address);
    }

    public void Dispose() => _limiter.Dispose();
}
