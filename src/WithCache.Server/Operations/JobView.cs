using WithCache.Server.Catalog;
using WithCache.Server.Downloads;

namespace WithCache.Server.Operations;

/// <summary>A job row with its live progress when it is running.</summary>
internal sealed record JobView(JobRecord Job, JobProgress? Live)
{
    public long BytesDone => Live?.BytesDone ?? Job.BytesDone;

    public long? BytesTotal => Live?.BytesTotal ?? Job.BytesTotal;
}
