namespace WithCache.Server.Hosting;

/// <summary>
/// A loop that calls <see cref="TickAsync"/> once per period of the host's <see cref="TimeProvider"/> until the host
/// stops. A tick handles the failures it expects (logs them; the next tick tries again); anything else ends the loop
/// as it ends any <see cref="BackgroundService"/>. Stopping is not a failure: the loop ends quietly.
/// </summary>
internal abstract class PeriodicWorker : BackgroundService
{
    private readonly TimeSpan _period;
    private readonly bool _tickAtStart;
    private readonly TimeProvider _time;

    /// <param name="tickAtStart">True to tick once at start, before the first period has passed.</param>
    protected PeriodicWorker(TimeSpan period, TimeProvider time, bool tickAtStart = false)
    {
        _period = period;
        _time = time;
        _tickAtStart = tickAtStart;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_period, _time);
        try
        {
            if (_tickAtStart)
            {
                await TickAsync(stoppingToken);
            }

            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await TickAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            OnStopped();
        }
    }

    protected abstract Task TickAsync(CancellationToken stoppingToken);

    /// <summary>Runs once the loop has ended, however it ended.</summary>
    protected virtual void OnStopped()
    {
    }
}
