using WithCache.Server.Catalog;
using WithCache.Server.Operations;
using WithCache.Server.Ui.Components;

namespace WithCache.Server.Ui.Pages;

/// <summary>One page of download jobs (running first, then queued, then the newest finished).</summary>
internal sealed record DownloadsView(IReadOnlyList<JobView> Rows, bool HasMore, ListState State, DateTimeOffset Now, FlashMessage? Flash)
{
    /// <summary>Whether the page shows a job that can still change, so it should keep polling.</summary>
    public bool AnyActive => Rows.Any(row => row.Job.State is JobState.Queued or JobState.Running);
}
