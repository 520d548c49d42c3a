using WithCache.Server.Audit;

namespace WithCache.Server.Catalog;

/// <summary>The audit log's rows: appended, listed newest first, bounded by dropping the oldest.</summary>
internal sealed partial class PostgresCatalog
{
    /// <summary>The Events filter: it matches the actor, the action or the subject.</summary>
    private const string EventFilter =
        "WHERE (@filter::text IS NULL OR strpos(actor, @filter) > 0 OR strpos(action, @filter) > 0 OR strpos(subject, @filter) > 0)";

    /// <summary>Appends an event and drops the oldest beyond <paramref name="cap"/> rows.</summary>
    public void RecordEvent(DateTimeOffset at, string actor, string action, string subject, string detail, int cap) => InTransaction(connection =>
    {
        Execute(connection, "INSERT INTO events(at, actor, action, subject, detail) VALUES(@at, @actor, @action, @subject, @detail)",
            Int8("at", at.ToUnixTimeMilliseconds()), Text("actor", actor), Text("action", action), Text("subject", subject), Text("detail", detail));
        return Execute(connection, "DELETE FROM events WHERE id <= (SELECT max(id) FROM events) - @cap", Int8("cap", cap));
    });

    /// <summary>Events newest first; the filter matches actor, action or subject.</summary>
    public IReadOnlyList<AuditEvent> ListEvents(ListQuery query) => Run(connection =>
        ReadAll(connection, r => new AuditEvent(
                r.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5)),
            $"SELECT id, at, actor, action, subject, detail FROM events {EventFilter} ORDER BY id DESC LIMIT @limit OFFSET @offset",
            Text("filter", EmptyToNull(query.Filter)), Int8("limit", query.SafeLimit), Int8("offset", query.SafeOffset)));

    public long CountEvents(string? filter = null) => Run(connection =>
        (long)Scalar(connection, $"SELECT count(*) FROM events {EventFilter}", Text("filter", EmptyToNull(filter)))!); // count(*) is never null
}
