using Microsoft.Extensions.Options;

namespace WithCache.Server.Downloads;

/// <summary>Refuses <see cref="FetchOptions"/> that would make fills misbehave, with a message per bad value.</summary>
internal sealed class FetchOptionsValidator : IValidateOptions<FetchOptions>
{
    // Timers take at most about 49 days; nothing sensible waits longer than a day.
    private static readonly TimeSpan MaxWait = TimeSpan.FromDays(1);

    public ValidateOptionsResult Validate(string? name, FetchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        if (options.IdleTimeout <= TimeSpan.Zero || options.IdleTimeout > MaxWait)
        {
            problems.Add("Fetch:IdleTimeout must be positive and at most a day");
        }

        if (options.MaxRedirects < 0)
        {
            problems.Add("Fetch:MaxRedirects must not be negative");
        }

        if (options.MaxAttempts < 1)
        {
            problems.Add("Fetch:MaxAttempts must be at least 1");
        }

        if (options.RetryBaseDelay < TimeSpan.Zero || options.RetryMaxDelay < options.RetryBaseDelay || options.RetryMaxDelay > MaxWait)
        {
            problems.Add("Fetch:RetryBaseDelay must not be negative nor above Fetch:RetryMaxDelay, which is at most a day");
        }

        foreach (var glob in options.AllowHosts)
        {
            if (string.IsNullOrWhiteSpace(glob) || glob.Contains('/', StringComparison.Ordinal) || glob.Contains(':', StringComparison.Ordinal))
            {
                problems.Add($"allowed host '{glob}' is not a host name glob (like *.nvidia.com)");
            }
        }

        foreach (var network in options.AllowNetworks)
        {
            try
            {
                FetchPolicy.ParseNetwork(network);
            }
            catch (FormatException)
            {
                problems.Add($"allowed network '{network}' is not a CIDR (like 10.0.0.0/8)");
            }
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
