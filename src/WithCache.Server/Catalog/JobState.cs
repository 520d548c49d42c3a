namespace WithCache.Server.Catalog;

internal enum JobState
{
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
}
