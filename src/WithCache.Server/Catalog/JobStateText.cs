namespace WithCache.Server.Catalog;

/// <summary>How both catalogs store a <see cref="JobState"/>: the lower-case word, as the SQL of each compares it.</summary>
internal static class JobStateText
{
    public static string Of(JobState state) => state switch
    {
        JobState.Queued => "queued",
        JobState.Running => "running",
        JobState.Completed => "completed",
        JobState.Failed => "failed",
        _ => "cancelled",
    };

    public static JobState Parse(string text) => text switch
    {
        "queued" => JobState.Queued,
        "running" => JobState.Running,
        "completed" => JobState.Completed,
        "failed" => JobState.Failed,
        _ => JobState.Cancelled,
    };
}
