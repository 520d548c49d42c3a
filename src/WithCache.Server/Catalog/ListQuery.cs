namespace WithCache.Server.Catalog;

/// <summary>One page of a list: a substring filter on the key, a sort column, newest or largest first unless ascending.</summary>
internal sealed record ListQuery(int Offset = 0, int Limit = 50, string? Filter = null, string? Sort = null, bool Ascending = false)
{
    public int SafeLimit => Math.Clamp(Limit, 1, 500);

    public int SafeOffset => Math.Max(0, Offset);
}
