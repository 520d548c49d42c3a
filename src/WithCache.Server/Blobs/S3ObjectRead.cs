namespace WithCache.Server.Blobs;

/// <summary>
/// An open read of an object: <paramref name="Length"/> bytes of <paramref name="Body"/>, and for a ranged read the
/// store's <c>Content-Range</c> (for example <c>bytes 0-99/1000</c>). Disposing it closes the connection.
/// </summary>
internal sealed record S3ObjectRead(IDisposable Response, Stream Body, long Length, string? ContentRange) : IDisposable
{
    public void Dispose()
    {
        Body.Dispose();
        Response.Dispose();
    }
}
