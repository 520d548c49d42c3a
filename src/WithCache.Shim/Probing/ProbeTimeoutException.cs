namespace WithCache.Shim.Probing;

/// <summary>A read or write that ran into the socket's kernel timeout (EAGAIN under SO_RCVTIMEO/SO_SNDTIMEO).</summary>
internal sealed class ProbeTimeoutException : IOException
{
    public ProbeTimeoutException()
        : base("no answer within the probe timeout")
    {
    }

    public ProbeTimeoutException(string message)
        : base(message)
    {
    }

    public ProbeTimeoutException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
