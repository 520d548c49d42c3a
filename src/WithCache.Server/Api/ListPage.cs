namespace WithCache.Server.Api;

/// <summary>One page of a list: its rows, where it starts, its size, the total when the list is counted, whether more follow.</summary>
internal sealed record ListPage<T>(IReadOnlyList<T> Items, int Offset, int Limit, long? Total, bool More);
