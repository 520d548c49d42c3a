namespace WithCache.Server.Audit;

/// <summary>
/// One line of the audit log: when, who (<c>operator (10.0.0.5)</c>, <c>api:ci-bot (10.0.0.7)</c>, <c>system</c>),
/// what (<see cref="AuditActions"/>), on what (a cache key, a job id, a URL) and how it ended.
/// </summary>
internal sealed record AuditEvent(long Id, DateTimeOffset At, string Actor, string Action, string Subject, string Detail);
