namespace WithCache.Server.Tests.TestSupport;

/// <summary>How an <see cref="OriginFile"/> response misbehaves once it has sent the bytes it was told to.</summary>
public enum OriginCut
{
    /// <summary>Reset the connection (RST) in the middle of the body.</summary>
    Abort,

    /// <summary>End the response early and close the connection cleanly: the body is shorter than its Content-Length.</summary>
    Close,

    /// <summary>Keep the connection open and send nothing more until the client gives up.</summary>
    Stall,
}
