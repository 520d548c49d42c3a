using System.Globalization;
using Microsoft.Extensions.Primitives;
using WithCache.Server.Catalog;

namespace WithCache.Server.Ui.Components;

/// <summary>
/// Where the operator is in a list (filter, sort column and direction, page), read from a query string or from the
/// hidden fields of an action form, and written back into links, so that paging, sorting and actions keep the view.
/// </summary>
internal sealed record ListState(string? Filter, string? Sort, bool Ascending, int Offset, int Limit)
{
    public const int DefaultLimit = 50;

    public const int MaxLimit = 200;

    /// <summary>Reads the state; <paramref name="sortKeys"/> lists the columns the page sorts by, its default first (empty: no sorting).</summary>
    public static ListState Read(Func<string, StringValues> value, IReadOnlyList<string> sortKeys)
    {
        var filter = value("filter").ToString().Trim();
        var sort = value("sort").ToString();
        if (sortKeys.Count == 0)
        {
            sort = "";
        }
        else if (!sortKeys.Contains(sort, StringComparer.Ordinal))
        {
            sort = sortKeys[0];
        }

        var ascending = value("dir").ToString() == "asc";
        var offset = int.TryParse(value("offset"), NumberStyles.None, CultureInfo.InvariantCulture, out var o) ? o : 0;
        var limit = int.TryParse(value("limit"), NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? Math.Clamp(l, 1, MaxLimit) : DefaultLimit;
        return new ListState(filter.Length == 0 ? null : filter, sort.Length == 0 ? null : sort, ascending, offset, limit);
    }

    public ListQuery ToQuery() => new(Offset, Limit, Filter, Sort, Ascending);

    /// <summary>The offset of the page that holds the last row.</summary>
    public int LastOffset(long total) => total <= 0 ? 0 : (int)Math.Min(int.MaxValue, (total - 1) / Limit * Limit);

    public ListState AtOffset(long offset) => this with { Offset = (int)Math.Clamp(offset, 0, int.MaxValue) };

    /// <summary>Sorting by a column: a second click on the current column flips the direction; a URL sorts A→Z first, numbers and dates largest first.</summary>
    public ListState SortedBy(string column) =>
        this with { Sort = column, Ascending = Sort == column ? !Ascending : column == "key", Offset = 0 };

    public IEnumerable<KeyValuePair<string, string?>> Fields()
    {
        if (Filter is not null)
        {
            yield return new("filter", Filter);
        }

        if (Sort is not null)
        {
            yield return new("sort", Sort);
            yield return new("dir", Ascending ? "asc" : "desc");
        }

        if (Offset > 0)
        {
            yield return new("offset", Offset.ToString(CultureInfo.InvariantCulture));
        }

        if (Limit != DefaultLimit)
        {
            yield return new("limit", Limit.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>A link to <paramref name="path"/> in this state, with extra query fields (a flash message) after it.</summary>
    public string Link(string path, params IEnumerable<KeyValuePair<string, string?>> extra) =>
        path + QueryString.Create(Fields().Concat(extra)).ToUriComponent();
}
