using WithCache.Server.Audit;

namespace WithCache.Server.Catalog;

/// <summary>The audit log's rows: appended, listed newest first, bounded by dropping the oldest.</summary>
internal sealed partial class CacheDatabase
{
    /// <summary>The Events filter: it matches the actor, the action or the subject.</summary>
    private const string EventFilter = "WHERE ($filter IS NULL OR instr(actor, $filter) > 0 OR instr(action, $filter) > 0 OR instr(subject, $filter) > 0)";

    /// <summary>Appends an event and drops the oldest beyond <paramref name="cap"/> rows.</summary>
    public void RecordEvent(DateTimeOffset at, string actor, string action, string subject, string detail, int cap)
    {
        lock (_writeLock)
        {
            using var connection = Open();
            using var transaction = connection.BeginTransaction();
            Execute(connection, transaction, "INSERT INTO events(at, actor, action, subject, detail) VALUES($at, $actor, $action, $subject, $detail)",
                ("$at", at.ToUnixTimeMilliseconds()), ("$actor", actor), ("$action", action), ("$subject", subject), ("$detail", detail));
            Execute(connection, transaction, "DELETE FROM events WHERE id <= (SELECT max(id) FROM events) - $cap", ("$cap", cap));
            transaction.Commit();
        }
    }

    /// <summary>Events newest first; the filter matches actor, action or subject.</summary>
    public IReadOnlyList<AuditEvent> ListEvents(ListQuery query)
    {
        using var connection = Open();
        using var command = Command(connection, $"""
            SELECT id, at, actor, action, subject, detail FROM events
            {EventFilter}
            ORDER BY id DESC LIMIT $limit OFFSET $offset
            """, ("$filter", EmptyToNull(query.Filter)), ("$limit", query.SafeLimit), ("$offset", query.SafeOffset));
        return ReadAll(command, r => new AuditEvent(
            r.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5)));
    }

    public long CountEvents(string? filter = null)
    {
        using var connection = Open();
        return (long)Scalar(connection, $"SELECT count(*) FROM events {EventFilter}", ("$filter", EmptyToNull(filter)))!; // count(*) is never null
    }
}
