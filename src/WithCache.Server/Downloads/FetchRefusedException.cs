namespace WithCache.Server.Downloads;

/// <summary>
/// Thrown by <see cref="FetchPolicy"/>'s connect callback when every address of a host is refused. This is the one
/// exception used for an expected outcome: a <c>ConnectCallback</c> can only fail by throwing, and
/// <see cref="OriginFetcher"/> turns it back into <see cref="DownloadOutcome.RefusedByPolicy"/> at once.
/// </summary>
internal sealed class FetchRefusedException : Exception
{
    public FetchRefusedException()
    {
    }

    public FetchRefusedException(string message)
        : base(message)
    {
    }

    public FetchRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
