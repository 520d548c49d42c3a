namespace WithCache.Server.Blobs;

/// <summary>
/// The object store could not be reached, timed out, or answered 5xx (after the client's bounded retries).
/// A request handler maps it to 503 Service Unavailable; a fill fails and can be retried later.
/// </summary>
internal sealed class ObjectStoreUnavailableException : Exception
{
    public ObjectStoreUnavailableException()
    {
    }

    public ObjectStoreUnavailableException(string message)
        : base(message)
    {
    }

    public ObjectStoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
