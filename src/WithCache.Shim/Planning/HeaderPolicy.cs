namespace WithCache.Shim.Planning;

/// <summary>
/// Which custom request headers may go to the cache-host. Any other header may carry a vendor secret
/// (<c>PRIVATE-TOKEN</c>, <c>X-JFrog-Art-Api</c>, <c>Authorization</c>, <c>Cookie</c>) or change what the origin
/// returns (<c>Host</c>), so a command with one passes through untouched.
/// </summary>
internal static class HeaderPolicy
{
    private static readonly HashSet<string> Allowed = new(StringComparer.OrdinalIgnoreCase)
    {
        "Accept",
        "Accept-Encoding",
        "Accept-Language",
        "Cache-Control",
        "Connection",
        "If-Modified-Since",
        "If-None-Match",
        "If-Range",
        "If-Unmodified-Since",
        "Keep-Alive",
        "Pragma",
        "Range",
        "Referer",
        "TE",
        "User-Agent",
    };

    /// <summary>Returns null when the header may be sent to the cache, else the reason to pass through.</summary>
    public static string? Check(string header)
    {
        if (header.StartsWith('@'))
        {
            return "headers read from a file";
        }

        // curl and wget: "Name: value", "Name:" (remove) and "Name;" (empty value). Both look for the colon first
        // and send everything before it as the name, so "Accept;Authorization: x" goes out under the name
        // "Accept;Authorization"; only a header with no colon at all ends its name at a semicolon.
        var end = header.IndexOf(':', StringComparison.Ordinal);
        if (end < 0)
        {
            end = header.IndexOf(';', StringComparison.Ordinal);
        }

        var name = (end < 0 ? header : header[..end]).Trim();
        if (name.Length == 0)
        {
            // wget's empty --header= clears earlier headers; it sends nothing.
            return header.Trim().Length == 0 ? null : "malformed header";
        }

        return Allowed.Contains(name) ? null : $"header '{name}' may carry a credential or change the origin's answer";
    }
}
