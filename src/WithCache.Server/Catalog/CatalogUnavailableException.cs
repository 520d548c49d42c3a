namespace WithCache.Server.Catalog;

/// <summary>
/// The catalog could not be reached (a shared database down, a connection refused or timed out). The read path
/// answers 503 so the shims fall through to the origin; the next request tries again.
/// </summary>
internal sealed class CatalogUnavailableException : Exception
{
    public CatalogUnavailableException()
    {
    }

    public CatalogUnavailableException(string message)
        : base(message)
    {
    }

    public CatalogUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
