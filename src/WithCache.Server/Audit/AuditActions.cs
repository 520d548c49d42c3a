namespace WithCache.Server.Audit;

/// <summary>The action names the audit log records; stable, as scripts and the Events page filter on them.</summary>
internal static class AuditActions
{
    public const string MissApproved = "miss.approve";
    public const string MissDismissed = "miss.dismiss";
    public const string JobCancelled = "job.cancel";
    public const string JobsCleared = "jobs.clear";
    public const string ArtifactDeleted = "artifact.delete";
    public const string UrlAdded = "url.add";
    public const string FillCompleted = "fill.completed";
    public const string FillFailed = "fill.failed";
    public const string FillCancelled = "fill.cancelled";
    public const string TokenCreated = "token.create";
    public const string TokenRevoked = "token.revoke";
}
