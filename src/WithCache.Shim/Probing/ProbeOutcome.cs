namespace WithCache.Shim.Probing;

internal enum ProbeOutcome
{
    /// <summary>The cache answered 200: it has the artifact.</summary>
    Hit,

    /// <summary>The cache answered with another status (404 for a miss).</summary>
    Miss,

    /// <summary>The cache could not be reached (refused, no route, name not found).</summary>
    Unreachable,

    /// <summary>The cache did not answer within the probe timeout.</summary>
    TimedOut,

    /// <summary>The cache answered something that is not HTTP, or TLS failed.</summary>
    Failed,
}
