namespace WithCache.Shim.Probing;

/// <summary>
/// What the probe saw. <see cref="RedirectsToStore"/>: on a hit, the cache-host said (FetchUrl.RedirectHeader) that a
/// GET on the fetch URL answers with a redirect to its object store, which the tool must follow.
/// </summary>
internal sealed record ProbeResult(ProbeOutcome Outcome, string Detail, bool RedirectsToStore = false);
