namespace WithCache.Server.Api;

/// <summary>An audit event: who (<c>operator (10.0.0.5)</c>, <c>api:ci (10.0.0.7)</c>, <c>system</c>) did what on what, and how it ended.</summary>
internal sealed record EventItem(long Id, DateTimeOffset At, string Actor, string Action, string Subject, string Detail);
