namespace WithCache.Shim.Planning;

internal enum PlanOutcome
{
    /// <summary>A plain download of one http(s) URL: probe the cache, rewrite that URL on a hit.</summary>
    Candidate,

    /// <summary>Run the real tool with the argv untouched.</summary>
    PassThrough,
}
