namespace WithCache.Shim.Probing;

/// <summary>A connected byte channel to the cache-host: a plain socket, or TLS over it.</summary>
internal interface IProbeChannel : IDisposable
{
    /// <summary>Writes all of <paramref name="bytes"/>; throws <see cref="IOException"/> on failure or timeout.</summary>
    void Write(ReadOnlySpan<byte> bytes);

    /// <summary>Reads some bytes; 0 at the end of the stream; throws <see cref="IOException"/> on failure or timeout.</summary>
    int Read(Span<byte> buffer);
}
