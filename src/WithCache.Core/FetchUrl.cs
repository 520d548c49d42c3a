namespace WithCache.Core;

/// <summary>
/// The URL a client fetches a cached origin from: <c>&lt;server&gt;/b/&lt;token&gt;/&lt;name&gt;[?&lt;query&gt;]</c>.
/// The server reads only the token. The name is the origin's last path segment as written and the query the
/// origin's query, so that <c>curl -O</c> (last segment as written, no query) and <c>wget</c> (segment unescaped,
/// query kept, <c>index.html</c> for an empty segment) save the same file name they would save from the origin.
/// </summary>
public static class FetchUrl
{
    /// <summary>The route prefix every fetch URL starts with after the server base.</summary>
    public const string RoutePrefix = "/b/";

    /// <summary>
    /// A header on a hit (the shims' HEAD probe included) from a cache-host that answers a GET on the fetch URL with a
    /// redirect to its object store (<c>--s3-redirect</c>); its value is <see cref="RedirectToStore"/>. The tool run on
    /// the fetch URL must then follow one redirect.
    /// </summary>
    public const string RedirectHeader = "X-WithCache-Redirect";

    /// <summary>The value of <see cref="RedirectHeader"/>.</summary>
    public const string RedirectToStore = "store";

    /// <summary>Builds the fetch URL for an origin on a normalised server base (see <see cref="ServerAddress"/>).</summary>
    public static string Build(string serverBase, OriginUrl origin)
    {
        ArgumentNullException.ThrowIfNull(serverBase);
        ArgumentNullException.ThrowIfNull(origin);
        var url = string.Concat(serverBase, RoutePrefix, OriginToken.Encode(origin.Text), "/", origin.LastSegment);
        return origin.Query is null ? url : string.Concat(url, "?", origin.Query);
    }
}
