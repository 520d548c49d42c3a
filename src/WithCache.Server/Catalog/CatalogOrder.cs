namespace WithCache.Server.Catalog;

/// <summary>
/// The ORDER BY of each list, the same SQL for both catalogs. Only these fixed column names ever reach the SQL text;
/// the requested sort is matched against them, never pasted in.
/// </summary>
internal static class CatalogOrder
{
    /// <summary>Artifacts by hits, size or key; newest fetch by default; ties by key.</summary>
    public static string Artifacts(ListQuery query) => ThenByKey(query, query.Sort switch
    {
        "hits" => "hits",
        "size" => "size",
        "key" => "key",
        _ => "fetched_at",
    });

    /// <summary>Misses by count, first seen or key; last seen by default; ties by key.</summary>
    public static string Misses(ListQuery query) => ThenByKey(query, query.Sort switch
    {
        "count" => "count",
        "first" => "first_seen",
        "key" => "key",
        _ => "last_seen",
    });

    /// <summary>Jobs by id (creation order) when sorted by "id"; otherwise running, then queued, then the rest, each by id.</summary>
    public static string Jobs(ListQuery query)
    {
        var direction = query.Ascending ? "ASC" : "DESC";
        return query.Sort == "id" ? $"id {direction}" : $"CASE state WHEN 'running' THEN 0 WHEN 'queued' THEN 1 ELSE 2 END, id {direction}";
    }

    private static string ThenByKey(ListQuery query, string column) => $"{column} {(query.Ascending ? "ASC" : "DESC")}, key";
}
