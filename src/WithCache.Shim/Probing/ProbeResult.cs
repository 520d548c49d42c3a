namespace WithCache.Shim.Probing;

internal sealed record ProbeResult(ProbeOutcome Outcome, string Detail);
