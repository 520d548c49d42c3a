using System.Globalization;

namespace WithCache.Server.Catalog;

/// <summary>
/// Waits for a catalog call at most a given time, then throws <see cref="CatalogUnavailableException"/> ("no answer
/// within"). The bound is here and not only in the call's own cancellation: Npgsql ends a cancelled command once the
/// server confirms the cancel, which a hung server never does. The abandoned call ends by Npgsql's own timeouts; its
/// fault is observed. A call already complete (SQLite) costs no task and no timer.
/// </summary>
internal static class CatalogWait
{
    public static async ValueTask<T> WithinAsync<T>(ValueTask<T> pending, TimeSpan limit, CancellationToken cancellationToken)
    {
        if (pending.IsCompletedSuccessfully)
        {
            return pending.Result;
        }

        var call = pending.AsTask();
        await WithinAsync(call, limit, cancellationToken);
        return await call;
    }

    public static async Task WithinAsync(Task call, TimeSpan limit, CancellationToken cancellationToken)
    {
        try
        {
            await call.WaitAsync(limit, cancellationToken);
        }
        catch (TimeoutException e) when (!cancellationToken.IsCancellationRequested)
        {
            _ = call.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw new CatalogUnavailableException(string.Create(CultureInfo.InvariantCulture, $"no answer within {limit.TotalSeconds:0.#} s"), e);
        }
    }
}
