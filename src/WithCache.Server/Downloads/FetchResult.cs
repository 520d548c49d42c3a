namespace WithCache.Server.Downloads;

/// <summary>The end of one fill: the outcome, one line for the operator, and on success the length and SHA-256.</summary>
internal sealed record FetchResult(DownloadOutcome Outcome, string Reason, long Length, string? Sha256Hex)
{
    /// <summary>Failed for good: the manager remembers it and backs off instead of asking the origin again.</summary>
    public bool IsPermanentFailure => Outcome is DownloadOutcome.UpstreamNotFound or DownloadOutcome.UpstreamDenied
        or DownloadOutcome.RefusedByPolicy or DownloadOutcome.TooManyRedirects;

    /// <summary>Set when a fill was interrupted on purpose (shutdown) with its temp file kept for a later resume.</summary>
    public FetchCheckpoint? Checkpoint { get; init; }

    internal static FetchResult Failed(DownloadOutcome outcome, string reason) => new(outcome, reason, 0, null);
}
