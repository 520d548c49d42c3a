using WithCache.Server.Catalog;
using WithCache.Server.Operations;

namespace WithCache.Server.Ui.Pages;

/// <summary>A job's progress as the Downloads page shows it: bytes, share, rate and time left.</summary>
internal sealed record JobLine(long Done, long? Total, double? BytesPerSecond, TimeSpan? Remaining)
{
    /// <summary>Below this the rate is mostly connection set-up: no rate or ETA is shown yet.</summary>
    private static readonly TimeSpan MinimumElapsed = TimeSpan.FromMilliseconds(500);

    public static JobLine For(JobView job, DateTimeOffset now)
    {
        var done = job.BytesDone;
        var total = job.Job.State == JobState.Completed ? job.BytesTotal ?? done : job.BytesTotal;
        if (job.Live is not { } live || job.Job.State != JobState.Running)
        {
            return new JobLine(done, total, null, null);
        }

        var elapsed = now - live.StartedAt;
        if (elapsed < MinimumElapsed || done <= 0)
        {
            return new JobLine(done, total, null, null);
        }

        var rate = done / elapsed.TotalSeconds;
        TimeSpan? remaining = total is { } t && t >= done ? TimeSpan.FromSeconds(Math.Ceiling(Math.Min((t - done) / rate, TimeSpan.MaxValue.TotalSeconds / 2))) : null;
        return new JobLine(done, total, rate, remaining);
    }
}
