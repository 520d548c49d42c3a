using WithCache.Server.Audit;
using WithCache.Server.Ui.Components;

namespace WithCache.Server.Ui.Pages;

/// <summary>One page of the audit log, newest first.</summary>
internal sealed record EventsView(
    IReadOnlyList<AuditEvent> Rows,
    long Total,
    ListState State,
    DateTimeOffset Now);
